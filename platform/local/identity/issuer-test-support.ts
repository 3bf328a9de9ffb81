import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { localMailer } from '#platform/local/mailer.js';
import type { LocalMailer } from '#platform/local/mailer.js';
import { createIssuer } from './issuer.js';
import type { Issuer } from './issuer.js';

/** Helpers of the issuer's tests: a running issuer on loopback, a cookie jar, forms and emails. */

export const CLIENT_ID = 'kinema-web';
export const CLIENT_SECRET = 'a-long-enough-client-secret-for-tests';

export interface Running {
  base: string;
  issuerUrl: string;
  audience: string;
  issuer: Issuer;
  server: Server;
  /** The sign-up emails, as the standalone server writes them. */
  outbox: LocalMailer;
  stop(): Promise<void>;
}

export async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export async function start(
  dataDir: string,
  port = 0,
  planOf: (userId: string) => Promise<string | undefined> = async () => 'monthly',
  now: () => number = () => Date.now(),
): Promise<Running> {
  const server = createServer();
  const actual = await listen(server, port);
  const base = `http://127.0.0.1:${actual}`;
  const outbox = localMailer({ dir: join(dataDir, 'outbox'), from: 'Kinema <no-reply@kinema.local>', now });
  const issuer = await createIssuer({
    dataDir,
    issuer: `${base}/oidc`,
    audience: `${base}/api`,
    clients: [
      {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        redirectUris: [`${base}/auth/callback`],
        postLogoutRedirectUris: [`${base}/`],
      },
    ],
    now,
    planOf,
    mailer: outbox,
  });
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/oidc')) return issuer.listener(req, res);
    res.writeHead(404).end();
  });
  return {
    base,
    issuerUrl: `${base}/oidc`,
    audience: `${base}/api`,
    issuer,
    server,
    outbox,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await issuer.close();
    },
  };
}

/** A tiny cookie jar: enough for one host, paths ignored (the provider scopes them; we send all). */
/** A browser's cookies, and the fetch it connects with (another address plays another client). */
export function cookieJar(via: typeof fetch = fetch) {
  const jar = new Map<string, string>();
  return {
    fetch: via,
    header: () => [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
    store(response: Response) {
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const index = pair!.indexOf('=');
        const name = pair!.slice(0, index);
        const value = pair!.slice(index + 1);
        if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') jar.delete(name);
        else jar.set(name, value);
      }
    },
    set: (name: string, value: string) => jar.set(name, value),
  };
}

export type Jar = ReturnType<typeof cookieJar>;

/** Follows redirects by hand, carrying cookies, until a page or the client's redirect URI. */
export async function browse(jar: Jar, url: string, init: RequestInit = {}, stopAt?: string) {
  let current = url;
  let request = init;
  for (let hop = 0; hop < 10; hop++) {
    const response = await jar.fetch(current, {
      ...request,
      redirect: 'manual',
      headers: { ...(request.headers as Record<string, string>), cookie: jar.header() },
    });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      current = new URL(location, current).href;
      if (stopAt && current.startsWith(stopAt)) return { url: current, response };
      request = {};
      continue;
    }
    return { url: current, response, html: await response.text() };
  }
  throw new Error('too many redirects');
}

export function formAction(html: string, base: string): string {
  const match = /<form method="post" action="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no form on the page');
  return new URL(match[1].replace(/&amp;/g, '&'), base).href;
}

export function postForm(jar: Jar, action: string, fields: Record<string, string>, stopAt: string) {
  return browse(
    jar,
    action,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    },
    stopAt,
  );
}

export async function discover(running: Running) {
  return oidc.discovery(new URL(running.issuerUrl), CLIENT_ID, CLIENT_SECRET, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
}

export async function beginLogin(running: Running, extra: Record<string, string> = {}, jar = cookieJar()) {
  const config = await discover(running);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${running.base}/auth/callback`,
    scope: 'openid email profile offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  const page = await browse(jar, url.href);
  return { config, verifier, state, jar, page };
}

export async function newestEmail(running: Running, to: string) {
  const mail = (await running.outbox.list(1000)).find((entry) => entry.to === to);
  if (!mail) throw new Error(`no email to ${to}`);
  return mail;
}

export function signUpLink(mail: { text: string }): string {
  const link = /https?:\/\/\S+\/verify\?token=\S+/.exec(mail.text)?.[0];
  if (!link) throw new Error('no sign-up link in the email');
  return link;
}
