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
function stranger() {
  const via = fetchFrom('127.0.0.2');
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
  };
}

describe('sign-up', () => {
  test('answers a taken and a new address alike; only the new one gets a link', async () => {
    const { context, page } = await newPage(browser, 'desktop');
    try {
      const answers: { status: number | undefined; text: string }[] = [];
      for (const email of [admin.email, newPerson('fresh').email]) {
        await page.context().clearCookies();
        await page.goto(`${url}/auth/signup`);
        await page.waitForURL(/\/oidc\//);
        const response = page.waitForResponse((r) => r.request().method() === 'POST' && /\/signup$/.test(r.url()));
        await fillSignUp(page, { email, password: 'a long enough password' });
        const text = (await page.locator('main').innerText()).replaceAll(email.toLowerCase(), '<email>');
        answers.push({ status: (await response).status(), text });
      }
      expect(answers[0]).toEqual(answers[1]);
      expect(answers[0]!.status).toBe(200);
      // The admin's own account is untouched and got a notice, not a link.
      await expect(signUpLinkFor(admin.email, 500)).rejects.toThrow(/no sign-up email/);
    } finally {
      await context.close();
    }
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
