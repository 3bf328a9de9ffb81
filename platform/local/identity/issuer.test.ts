import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader } from 'jose';
import * as oidc from 'openid-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jwtVerifier } from '#shared/auth/jwt-verifier.js';
import { CLAIMS } from '#shared/ports/token-verifier.js';
import { fetchFrom } from '#test/support/fetch-from.js';
import type { Issuer } from './issuer.js';
import {
  beginLogin,
  browse,
  cookieJar,
  discover,
  formAction,
  newestEmail,
  postForm,
  signUpLink,
  start,
} from './issuer-test-support.js';
import type { Running } from './issuer-test-support.js';
import { PAIR_FREE } from './throttle.js';

function verifierFor(running: Running, keysFrom: Issuer = running.issuer) {
  return jwtVerifier({
    issuer: running.issuerUrl,
    audience: running.audience,
    keys: createLocalJWKSet(keysFrom.jwks()),
  });
}

describe('built-in OpenID issuer', () => {
  let dataDir: string;
  let running: Running | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'kinema-issuer-'));
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs authorization code + PKCE, issues an API JWT with Kinema claims, and rotates refresh tokens', async () => {
    running = await start(dataDir);
    const account = await running.issuer.accounts.create({
      email: 'Viewer@Example.com',
      password: 'correct horse battery',
      roles: ['viewer'],
    });

    const { config, verifier, state, jar, page } = await beginLogin(running);
    expect(page.response.status).toBe(200);
    expect(page.url).toContain('/oidc/interaction/');
    expect(page.html).toContain('data-testid="signin-submit"');
    expect(page.html).toContain('<html lang="ja">');

    const wrong = await postForm(
      jar,
      formAction(page.html!, running.base),
      { email: 'viewer@example.com', password: 'not the password' },
      `${running.base}/auth/callback`,
    );
    expect(wrong.response.status).toBe(401);
    expect(wrong.html).toContain('メールアドレスまたはパスワードが正しくありません');
    expect(wrong.html).toContain('value="viewer@example.com"');

    const done = await postForm(
      jar,
      formAction(wrong.html!, running.base),
      { email: 'viewer@example.com', password: 'correct horse battery' },
      `${running.base}/auth/callback`,
    );
    expect(done.url).toMatch(/\/auth\/callback\?code=/);

    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ sub: account.id, iss: running.issuerUrl, aud: running.audience });
    expect(String(claims.scope).split(' ')).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);

    const principal = await verifierFor(running).verify(tokens.access_token);
    expect(principal).toEqual({
      userId: account.id,
      roles: ['viewer'],
      email: 'viewer@example.com',
      plan: 'monthly',
    });
    expect(tokens.claims()).toMatchObject({ sub: account.id, email: 'viewer@example.com' });

    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect((await verifierFor(running).verify(refreshed.access_token)).userId).toBe(account.id);
    // The rotated-away token is spent.
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('advertises in discovery only what the registered client may use', async () => {
    running = await start(dataDir);
    const metadata = (await (await fetch(`${running.base}/oidc/.well-known/openid-configuration`)).json()) as Record<
      string,
      string[]
    >;
    expect(metadata['response_types_supported']).toEqual(['code']);
    expect(metadata['token_endpoint_auth_methods_supported']).toEqual(['client_secret_post']);
    expect(metadata['grant_types_supported']).not.toContain('implicit');
  });

  it('refuses an authorization request without PKCE', async () => {
    running = await start(dataDir);
    const config = await discover(running);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${running.base}/auth/callback`,
      scope: 'openid',
    });
    const jar = cookieJar();
    const result = await browse(jar, url.href, {}, `${running.base}/auth/callback`);
    expect(result.url).toContain('error=invalid_request');
    expect(new URL(result.url).searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('shows sign-up first for screen_hint=signup, in English for ui_locales=en, and creates a viewer', async () => {
    running = await start(dataDir);
    // As the web app asks: explicit resource (and Auth0's audience, ignored here) and a nonce.
    const nonce = oidc.randomNonce();
    const resource = { resource: running.audience, audience: running.audience };
    const { config, verifier, state, jar, page } = await beginLogin(running, {
      screen_hint: 'signup',
      ui_locales: 'en',
      nonce,
      ...resource,
    });
    expect(page.html).toContain('data-testid="signup-submit"');
    expect(page.html).toContain('<html lang="en">');
    for (const id of ['email', 'password', 'password_confirm']) {
      expect(page.html).toContain(`<label for="${id}">`);
      expect(page.html).toContain(`id="${id}" name="${id}"`);
    }
    const callback = `${running.base}/auth/callback`;
    const action = formAction(page.html!, running.base);

    const weak = await postForm(
      jar,
      action,
      { email: 'new@example.com', password: 'short', password_confirm: 'short' },
      callback,
    );
    expect(weak.response.status).toBe(400);
    expect(weak.html).toContain('The password must be 8 to 128 characters long.');

    const mismatch = await postForm(
      jar,
      action,
      { email: 'new@example.com', password: 'long enough 1', password_confirm: 'long enough 2' },
      callback,
    );
    expect(mismatch.html).toContain('The two passwords do not match.');

    await running.issuer.accounts.create({ email: 'taken@example.com', password: 'whatever123' });
    const taken = await postForm(
      jar,
      action,
      { email: 'TAKEN@example.com', password: 'long enough 1', password_confirm: 'long enough 1' },
      callback,
    );
    const fresh = await postForm(
      jar,
      action,
      { email: 'new@example.com', password: 'long enough 1', password_confirm: 'long enough 1' },
      callback,
    );
    // The same answer whatever the address: status, headers that matter, and page but for the echo.
    expect(taken.response.status).toBe(200);
    expect(fresh.response.status).toBe(200);
    expect(taken.html).toContain('We sent a link to taken@example.com to finish creating your account.');
    expect(taken.html!.replaceAll('taken@example.com', '<email>')).toBe(
      fresh.html!.replaceAll('new@example.com', '<email>'),
    );
    expect(taken.response.headers.get('set-cookie')).toBe(fresh.response.headers.get('set-cookie'));
    expect(running.issuer.accounts.findByEmail('new@example.com')).toBeUndefined();

    // The owner of the taken address hears of it; the new address gets the link.
    const takenMail = await newestEmail(running, 'taken@example.com');
    expect(takenMail.subject).toBe('Someone tried to create a Kinema account with your address');
    expect(takenMail.text).toContain(`${running.base}/auth/login`);
    expect(takenMail.text).not.toContain('/verify?token=');
    const link = signUpLink(await newestEmail(running, 'new@example.com'));
    expect(link.startsWith(`${page.url}/verify?token=`)).toBe(true);
    // The .eml file is a real MIME message with both parts.
    const eml = readFileSync(join(dataDir, 'outbox', (await newestEmail(running, 'new@example.com')).file), 'utf8');
    expect(eml).toMatch(/^To: new@example\.com\r$/m);
    expect(eml).toContain('multipart/alternative');

    const done = await browse(jar, link, {}, callback);
    expect(done.url).toMatch(/\/auth\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(
      config,
      new URL(done.url),
      { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce },
      resource,
    );
    const principal = await verifierFor(running).verify(tokens.access_token);
    expect(principal).toMatchObject({ roles: ['viewer'], email: 'new@example.com' });
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, resource);
    expect((await verifierFor(running).verify(refreshed.access_token)).email).toBe('new@example.com');
    expect(running.issuer.accounts.findByEmail('new@example.com')?.roles).toEqual(['viewer']);

    // The link is single-use: a second click creates nothing and says so.
    // (in the form's language, even in a browser without the lang cookie).
    const again = await browse(cookieJar(), link);
    expect(again.response.status).toBe(410);
    expect(again.html).toContain('<html lang="en">');
    expect(again.html).toContain('This link has already been used.');
    expect(again.html).toContain('data-testid="signup-link-problem"');
    expect(running.issuer.accounts.list().map((account) => account.email)).toEqual([
      'taken@example.com',
      'new@example.com',
    ]);
  });

  it('refuses forged, reused and expired links, and finishes in another browser with a sign-in link', async () => {
    let skew = 0;
    running = await start(
      dataDir,
      0,
      async () => 'none',
      () => Date.now() + skew,
    );
    const callback = `${running.base}/auth/callback`;
    const signUp = async (email: string) => {
      const { jar, page } = await beginLogin(running!, { screen_hint: 'signup' });
      const sent = await postForm(
        jar,
        formAction(page.html!, running!.base),
        { email, password: 'long enough 1', password_confirm: 'long enough 1' },
        callback,
      );
      expect(sent.response.status).toBe(200);
      expect(sent.html).toContain('data-testid="signup-sent"');
      return { jar, link: signUpLink(await newestEmail(running!, email)) };
    };

    const first = await signUp('other@example.com');
    const url = new URL(first.link);
    const token = url.searchParams.get('token')!;
    const forgeries = [
      `${url.origin}${url.pathname}?token=${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
      `${url.origin}${url.pathname}?token=short`,
      `${url.origin}${url.pathname}`,
      // The right token under another interaction's path.
      `${url.origin}${url.pathname.replace(/interaction\/[^/]+/, 'interaction/someoneelse')}?token=${token}`,
    ];
    for (const forged of forgeries) {
      const refused = await browse(cookieJar(), forged);
      expect(refused.response.status, forged).toBe(400);
      expect(refused.html).toContain('このリンクは無効です');
    }
    expect(running.issuer.accounts.findByEmail('other@example.com')).toBeUndefined();

    // Opened on another device: the account exists and the page points to sign-in.
    const elsewhere = await browse(cookieJar(), first.link);
    expect(elsewhere.response.status).toBe(200);
    expect(elsewhere.html).toContain('data-testid="account-ready-signin"');
    expect(elsewhere.html).toContain(`href="${running.base}/auth/login"`);
    expect(running.issuer.accounts.findByEmail('other@example.com')).toBeTruthy();
    const reused = await browse(first.jar, first.link);
    expect(reused.response.status).toBe(410);
    expect(reused.html).toContain('すでに使われています');

    // Thirty minutes on, a link is spent.
    const late = await signUp('late@example.com');
    skew += 30 * 60 * 1000 + 1;
    const expired = await browse(late.jar, late.link);
    expect(expired.response.status).toBe(410);
    expect(expired.html).toContain('有効期限');
    expect(running.issuer.accounts.findByEmail('late@example.com')).toBeUndefined();

    // Two sign-ups for one address: the first link creates it, the second creates nothing.
    const one = await signUp('twice@example.com');
    const two = await signUp('twice@example.com');
    expect((await browse(one.jar, one.link, {}, callback)).url).toMatch(/\/auth\/callback\?code=/);
    const second = await browse(two.jar, two.link, {}, callback);
    expect(second.response.status).toBe(409);
    expect(second.html).toContain('data-testid="account-exists-signin"');
    expect(running.issuer.accounts.list().filter((account) => account.email === 'twice@example.com')).toHaveLength(1);
  });

  it("slows a guessing client with 429 + Retry-After, never the owner's own client", async () => {
    running = await start(dataDir);
    await running.issuer.accounts.create({ email: 'lock@example.com', password: 'the right one' });
    const callback = `${running.base}/auth/callback`;
    // The stranger connects from 127.0.0.2, the owner from 127.0.0.1.
    const stranger = await beginLogin(running, {}, cookieJar(fetchFrom('127.0.0.2')));
    const strangerAction = formAction(stranger.page.html!, running.base);
    for (let i = 0; i < PAIR_FREE; i++) {
      const wrong = await postForm(
        stranger.jar,
        strangerAction,
        { email: 'lock@example.com', password: 'wrong' },
        callback,
      );
      expect(wrong.response.status).toBe(401);
      expect(wrong.html).toContain('メールアドレスまたはパスワードが正しくありません');
    }
    const slowed = await postForm(stranger.jar, strangerAction, { email: 'lock@example.com', password: 'x' }, callback);
    expect(slowed.response.status).toBe(429);
    expect(Number(slowed.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(slowed.html).toContain('試行回数が多すぎます');
    // An unknown email is answered the same way from the same client.
    const unknown = await postForm(
      stranger.jar,
      strangerAction,
      { email: 'nobody@example.com', password: 'x' },
      callback,
    );
    expect(unknown.response.status).toBe(401);

    const { jar, page } = await beginLogin(running);
    const action = formAction(page.html!, running.base);
    const owner = await postForm(jar, action, { email: 'lock@example.com', password: 'the right one' }, callback);
    expect(owner.url).toMatch(/\/auth\/callback\?code=/);
  });

  it('refuses form posts without the interaction cookie, and switches language', async () => {
    running = await start(dataDir);
    const { jar, page } = await beginLogin(running);
    const action = formAction(page.html!, running.base);

    // A cross-site (or replayed) post carries no interaction cookie: nothing happens, and the
    // browser is sent to the site's sign-in to start afresh once (`retry=1`).
    const forged = await postForm(
      cookieJar(),
      action,
      { email: 'lock@example.com', password: 'x' },
      `${running.base}/auth/`,
    );
    expect(forged.response.status).toBe(303);
    expect(forged.url).toBe(`${running.base}/auth/login?retry=1`);

    const english = await browse(jar, `${page.url}?lang=en`);
    expect(english.html).toContain('<html lang="en">');
    expect(english.response.headers.get('set-cookie')).toContain('lang=en');
    jar.set('lang', 'en');
    const again = await browse(jar, page.url);
    expect(again.html).toContain('Sign in');
    expect(again.response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('keeps keys, accounts and refresh tokens across a restart', async () => {
    const first = await start(dataDir);
    running = first;
    const account = await first.issuer.accounts.create({ email: 'keep@example.com', password: 'persisted pw' });
    const signed = await first.issuer.signAccessToken(account.id);
    const { config, verifier, state, jar, page } = await beginLogin(first);
    const done = await postForm(
      jar,
      formAction(page.html!, first.base),
      { email: 'keep@example.com', password: 'persisted pw' },
      `${first.base}/auth/callback`,
    );
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const port = Number(new URL(first.base).port);
    const firstJwks = first.issuer.jwks();
    await first.stop();
    running = undefined;

    expect(statSync(join(dataDir, 'identity', 'signing-key.jwk.json')).mode & 0o777).toBe(0o600);
    const second = await start(dataDir, port);
    running = second;
    expect(second.issuer.jwks()).toEqual(firstJwks);
    expect(await verifierFor(second).verify(signed)).toMatchObject({ userId: account.id, roles: ['viewer'] });
    expect((await verifierFor(second).verify(tokens.access_token)).userId).toBe(account.id);
    expect(second.issuer.accounts.findByEmail('keep@example.com')?.id).toBe(account.id);
    const refreshed = await oidc.refreshTokenGrant(await discover(second), tokens.refresh_token!);
    expect((await verifierFor(second).verify(refreshed.access_token)).userId).toBe(account.id);
    // The JWKS served over HTTP is the same public key set.
    const served = (await (await fetch(`${second.issuerUrl}/jwks`)).json()) as { keys: { kid: string; d?: string }[] };
    expect(served.keys.map((key) => key.kid)).toEqual(firstJwks.keys.map((key) => key.kid));
    expect(served.keys.some((key) => 'd' in key)).toBe(false);
  });

  it('signs tokens directly with the claims of the account and the plan', async () => {
    running = await start(dataDir);
    const admin = await running.issuer.accounts.create({
      email: 'admin@example.com',
      password: 'admin password',
      roles: ['admin'],
    });
    const token = await running.issuer.signAccessToken(admin.id, 120);
    const claims = decodeJwt(token);
    expect(claims[CLAIMS.plan]).toBe('monthly');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
    expect(await verifierFor(running).verify(token)).toEqual({
      userId: admin.id,
      roles: ['admin'],
      email: 'admin@example.com',
      plan: 'monthly',
    });
    await expect(running.issuer.signAccessToken('nobody')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('says plan "none" when the plan lookup fails, rather than failing', async () => {
    running = await start(dataDir, 0, async () => {
      throw new Error('entitlement is down');
    });
    const account = await running.issuer.accounts.create({ email: 'p@example.com', password: 'password1' });
    const principal = await verifierFor(running).verify(await running.issuer.signAccessToken(account.id));
    expect(principal.plan).toBe('none');
  });

  it('ends the session with RP-initiated logout', async () => {
    running = await start(dataDir);
    await running.issuer.accounts.create({ email: 'out@example.com', password: 'sign me out' });
    const { config, verifier, state, jar, page } = await beginLogin(running);
    const done = await postForm(
      jar,
      formAction(page.html!, running.base),
      { email: 'out@example.com', password: 'sign me out' },
      `${running.base}/auth/callback`,
    );
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    // While signed in, a new authorization request goes straight back with a code.
    const silent = await beginLogin(running, {}, jar);
    expect(silent.page.url).toMatch(/\/auth\/callback\?code=/);

    const logoutUrl = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: `${running.base}/`,
    });
    const confirm = await browse(jar, logoutUrl.href);
    expect(confirm.html).toContain('data-testid="signout-confirm"');
    // One click on the site is enough: the page submits itself ("yes", sign out of the issuer
    // too), by a script its policy allows by hash and nothing else.
    expect(confirm.html).toContain('<input type="hidden" name="logout" value="yes">');
    const policy = confirm.response.headers.get('content-security-policy') ?? '';
    const script = /<script>([^<]+)<\/script>/.exec(confirm.html!)?.[1] ?? '';
    const hash = createHash('sha256').update(script).digest('base64');
    expect(policy).toContain(`script-src 'sha256-${hash}'`);
    expect(policy).not.toContain("unsafe-inline'; script");
    expect(confirm.html).toContain('data-testid="page-logo"');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html!)?.[1];
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.html!)?.[1];
    expect(xsrf && action).toBeTruthy();
    const out = await browse(
      jar,
      new URL(action!, running.base).href,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }).toString(),
      },
      `${running.base}/`,
    );
    expect(out.url).toBe(`${running.base}/`);
    // Signed out: a new authorization request asks for credentials again.
    const again = await beginLogin(running, {}, jar);
    expect(again.page.html).toContain('data-testid="signin-submit"');
  });
});
