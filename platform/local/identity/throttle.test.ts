import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT_CEILING,
  ACCOUNT_SLOW_MS,
  CLIENT_FREE,
  MAX_DELAY_MS,
  PAIR_FREE,
  SIGNUPS_PER_WINDOW,
  WINDOW_MS,
  backoffMs,
  signInThrottle,
} from './throttle.js';
import type { SignInThrottle } from './throttle.js';

describe('sign-in throttle', () => {
  let dir: string;
  let db: Database.Database;
  let clock: number;
  let throttle: SignInThrottle;
  const owner = '203.0.113.7';
  const stranger = '198.51.100.9';

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kinema-throttle-'));
    db = new Database(join(dir, 'identity.db'));
    clock = Date.UTC(2030, 0, 1);
    throttle = signInThrottle({ db, now: () => clock });
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const failTimes = (times: number, email: string, client: string) => {
    for (let i = 0; i < times; i++) throttle.signInFailed(email, client);
  };

  it('waits 1 s, 2 s, 4 s … after the free failures, capped at fifteen minutes', () => {
    expect(backoffMs(PAIR_FREE - 1, PAIR_FREE)).toBe(0);
    expect(backoffMs(PAIR_FREE, PAIR_FREE)).toBe(1000);
    expect(backoffMs(PAIR_FREE + 3, PAIR_FREE)).toBe(8000);
    expect(backoffMs(PAIR_FREE + 40, PAIR_FREE)).toBe(MAX_DELAY_MS);
  });

  it('slows one client guessing one account, and lets it try again after the wait', () => {
    failTimes(PAIR_FREE, 'owner@example.com', stranger);
    expect(throttle.beforeSignIn('owner@example.com', stranger)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    clock += 1000;
    expect(throttle.beforeSignIn('owner@example.com', stranger)).toEqual({ allowed: true, slowMs: 0 });
    throttle.signInFailed('owner@example.com', stranger);
    expect(throttle.beforeSignIn('owner@example.com', stranger)).toEqual({ allowed: false, retryAfterSeconds: 2 });
  });

  it("never lets a stranger's failures stop the owner's client (no lock to hand out)", () => {
    failTimes(ACCOUNT_CEILING * 2, 'owner@example.com', stranger);
    expect(throttle.beforeSignIn('owner@example.com', stranger).allowed).toBe(false);
    // The owner, from their own address, is only slowed, never refused.
    expect(throttle.beforeSignIn('owner@example.com', owner)).toEqual({ allowed: true, slowMs: ACCOUNT_SLOW_MS });
  });

  it('slows an account under a distributed guess without refusing anyone', () => {
    for (let i = 0; i < ACCOUNT_CEILING; i++) throttle.signInFailed('owner@example.com', `10.0.${i >> 8}.${i & 255}`);
    expect(throttle.beforeSignIn('owner@example.com', owner)).toEqual({ allowed: true, slowMs: ACCOUNT_SLOW_MS });
    expect(throttle.beforeSignIn('other@example.com', owner)).toEqual({ allowed: true, slowMs: 0 });
  });

  it('slows one client spraying many accounts', () => {
    for (let i = 0; i < CLIENT_FREE; i++) throttle.signInFailed(`user${i}@example.com`, stranger);
    expect(throttle.beforeSignIn('fresh@example.com', stranger).allowed).toBe(false);
    expect(throttle.beforeSignIn('fresh@example.com', owner).allowed).toBe(true);
  });

  it('treats an unknown email exactly like a registered one (keys are emails, not accounts)', () => {
    failTimes(PAIR_FREE, 'nobody@example.com', stranger);
    failTimes(PAIR_FREE, 'owner@example.com', stranger);
    const forUnknown = throttle.beforeSignIn('nobody@example.com', owner);
    const forKnown = throttle.beforeSignIn('owner@example.com', owner);
    expect(forUnknown).toEqual(forKnown);
    clock += 1;
    expect(throttle.beforeSignIn('nobody@example.com', stranger)).toEqual(
      throttle.beforeSignIn('owner@example.com', stranger),
    );
  });

  it('clears the pair on success and forgets failures after the window', () => {
    failTimes(PAIR_FREE - 1, 'owner@example.com', owner);
    throttle.signInSucceeded('owner@example.com', owner);
    throttle.signInFailed('owner@example.com', owner);
    expect(throttle.beforeSignIn('owner@example.com', owner).allowed).toBe(true);
    failTimes(PAIR_FREE + 10, 'owner@example.com', stranger);
    clock += WINDOW_MS + 1;
    expect(throttle.beforeSignIn('owner@example.com', stranger)).toEqual({ allowed: true, slowMs: 0 });
  });

  it('keeps its counters across a restart (same database file)', () => {
    failTimes(PAIR_FREE, 'owner@example.com', stranger);
    const reopened = signInThrottle({ db, now: () => clock });
    expect(reopened.beforeSignIn('owner@example.com', stranger).allowed).toBe(false);
  });

  it('allows a few sign-ups per client per hour, then answers with the wait', () => {
    for (let i = 0; i < SIGNUPS_PER_WINDOW; i++) expect(throttle.signUpAttempt(stranger).allowed).toBe(true);
    const refused = throttle.signUpAttempt(stranger);
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: WINDOW_MS / 1000 });
    expect(throttle.signUpAttempt(owner).allowed).toBe(true);
    clock += WINDOW_MS + 1;
    expect(throttle.signUpAttempt(stranger).allowed).toBe(true);
  });

  it('takes another allowance from configuration (KINEMA_SIGNUPS_PER_HOUR)', () => {
    const roomy = signInThrottle({ db, now: () => clock, signUpsPerWindow: 25 });
    for (let i = 0; i < 25; i++) expect(roomy.signUpAttempt('10.0.0.9').allowed).toBe(true);
    expect(roomy.signUpAttempt('10.0.0.9').allowed).toBe(false);
  });
});
