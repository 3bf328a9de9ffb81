import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { fetchFrom } from '#test/support/fetch-from.js';
import { fillSignUp, followSignUpEmail, signOut, signUp, signUpLinkFor } from './flows.js';
import { launchBrowser, newPage, newPerson } from './harness.js';
import type { Credentials } from './harness.js';

const { url, admin } = inject('kinema');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Redirect targets seen in the security probe: tab/newline tricks, other hosts, full-width dots. */
const HOSTILE = ['/%09/evil.example', '/%0a/evil.example', '//evil.example', '/%5Cevil.example', '/%E3%80%82/x'];

describe('open redirects', () => {
  test('a hostile returnTo never takes the browser off the site, signed out or in, and never 500s', async () => {
    const { context, page } = await newPage(browser, 'desktop');
    try {
      const person = newPerson('redirect');
      // Anonymous: the target survives the whole sign-up round trip through the issuer.
      await page.goto(`${url}/auth/signup?returnTo=/%09/evil.example`);
      await page.waitForURL(/\/oidc\//);
      await fillSignUp(page, person);
      await followSignUpEmail(page, person.email);
      expect(new URL(page.url()).origin).toBe(url);
      expect(new URL(page.url()).pathname).toBe('/');

      // Signed in: /auth/login redirects at once.
      for (const target of HOSTILE) {
        const response = await page.goto(`${url}/auth/login?returnTo=${target}`);
        expect(response?.status(), target).toBeLessThan(500);
        expect(new URL(page.url()).origin, target).toBe(url);
      }
    } finally {
      await context.close();
    }
  });
});

describe('state-changing requests', () => {
  test('another site cannot post to any form whatever the type; a missing type is 415, never 500', async () => {
    for (const path of ['/auth/logout', '/lang', '/checkout', '/admin/api/catalog/videos']) {
      for (const headers of [{ origin: 'https://evil.example' }, { referer: 'https://evil.example/page' }] as Record<
        string,
        string
      >[]) {
        const response = await fetch(`${url}${path}`, { method: 'POST', headers, redirect: 'manual' });
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(response.headers.getSetCookie(), path).toEqual([]);
      }
    }
    for (const path of ['/lang', '/checkout']) {
      const untyped = await fetch(`${url}${path}`, { method: 'POST', headers: { origin: url }, redirect: 'manual' });
      expect(untyped.status, path).toBe(415);
    }
  });
});

/** A minimal cookie-carrying client that connects from another address (a stranger's machine). */
function stranger(address = '127.0.0.2') {
  const via = fetchFrom(address);
  const jar = new Map<string, string>();
  const go = async (target: string, init: RequestInit = {}) => {
    let current = target;
    let request = init;
    for (let hop = 0; hop < 10; hop++) {
      const response = await via(current, {
        ...request,
        headers: {
          ...(request.headers as Record<string, string>),
          cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        },
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const at = pair.indexOf('=');
        jar.set(pair.slice(0, at), pair.slice(at + 1));
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        current = new URL(location, current).href;
        request = {};
        continue;
      }
      return { url: current, response, html: await response.text() };
    }
    throw new Error('too many redirects');
  };
  return {
    async failSignIn(victim: Credentials) {
      const page = await go(`${url}/auth/login`);
      const action = /<form method="post" action="([^"]+)"/.exec(page.html)?.[1]?.replace(/&amp;/g, '&');
      if (!action) throw new Error(`no sign-in form at ${page.url}`);
      const result = await go(new URL(action, url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
        body: new URLSearchParams({ email: victim.email, password: 'not the password' }).toString(),
      });
      return result.response.status;
    },
    async signUp(email: string, password: string) {
      const page = await go(`${url}/auth/signup`);
      const action = /<form method="post" action="([^"]+)"/.exec(page.html)?.[1]?.replace(/&amp;/g, '&');
      if (!action) throw new Error(`no sign-up form at ${page.url}`);
      const result = await go(new URL(action, url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
        body: new URLSearchParams({ email, password, password_confirm: password }).toString(),
      });
      return { status: result.response.status, html: result.html };
    },
  };
}

describe('sign-up', () => {
  test('answers a taken and a new address alike; only the new one gets a link', async () => {
    // From its own address, so the browser tests' sign-up allowance is left alone.
    const fresh = newPerson('fresh').email;
    const taken = await stranger('127.0.0.3').signUp(admin.email, 'a long enough password');
    const created = await stranger('127.0.0.3').signUp(fresh, 'a long enough password');
    expect(taken.status).toBe(200);
    expect(created.status).toBe(200);
    expect(taken.html).toContain('data-testid="signup-sent"');
    // The same page but for the address it echoes (and the interaction's own id in no link at all).
    expect(taken.html.replaceAll(admin.email.toLowerCase(), '<email>')).toBe(
      created.html.replaceAll(fresh.toLowerCase(), '<email>'),
    );
    // Only the new address got a link; the admin's own account got a notice.
    expect(await signUpLinkFor(fresh)).toMatch(/\/verify\?token=/);
    await expect(signUpLinkFor(admin.email, 500)).rejects.toThrow(/no sign-up email/);
  });
});

describe('sign-in throttling', () => {
  test("a stranger's failed sign-ins do not stop the owner from signing in", async () => {
    const { context, page } = await newPage(browser, 'phone');
    try {
      const owner = newPerson('owner');
      await page.goto(url);
      await signUp(page, owner);
      await signOut(page);

      const attacker = stranger();
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push(await attacker.failSignIn(owner));
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.at(-1)).toBe(429);

      await page.getByTestId('signin-link').click();
      await page.waitForURL(/\/oidc\//);
      await page.locator('input[name="email"]').fill(owner.email);
      await page.locator('input[name="password"]').fill(owner.password);
      await page.getByTestId('signin-submit').click();
      await page.getByTestId('signout-button').waitFor();
      expect(new URL(page.url()).origin).toBe(url);
    } finally {
      await context.close();
    }
  });
});
