import { generateKeyPairSync, sign } from 'node:crypto';
import { getSignedCookies } from '@aws-sdk/cloudfront-signer';
import { describe, expect, it } from 'vitest';
import type { CloudFrontCookieJar } from './cloudfront-cookies.js';
import {
  cloudFrontCookieSigner,
  decodeCloudFrontBase64,
  resourceMatches,
  verifyCloudFrontCookies,
} from './cloudfront-cookies.js';

const rsa = () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
};
const trusted = rsa();
const stranger = rsa();
const KEY_ID = 'K2TESTKEYPAIR';
const publicKeys = { [KEY_ID]: trusted.publicKey };

const MEDIA = 'https://media.kinema.test';
const titleA = `${MEDIA}/media/videos/aaa111/hls/*`;
const segmentA = `${MEDIA}/media/videos/aaa111/hls/720p/segment_00003.m4s`;
const segmentB = `${MEDIA}/media/videos/bbb222/hls/720p/segment_00003.m4s`;
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const inTenMinutes = NOW / 1000 + 600;

const safe = (bytes: Buffer) =>
  bytes.toString('base64').replace(/[+=/]/g, (c) => ({ '+': '-', '=': '_', '/': '~' })[c]!);
const customPolicy = (resource: string, dateLessThan: number) =>
  JSON.stringify({
    Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': dateLessThan } } }],
  });
/** Cookies for an arbitrary policy text, signed by hand (to reach checks that come after the signature). */
const handSigned = (policy: string, privateKey = trusted.privateKey) => ({
  'CloudFront-Policy': safe(Buffer.from(policy)),
  'CloudFront-Signature': safe(sign('RSA-SHA1', Buffer.from(policy), privateKey)),
  'CloudFront-Key-Pair-Id': KEY_ID,
});

const check = (cookies: CloudFrontCookieJar, url = segmentA, now = NOW, clientIp?: string) =>
  verifyCloudFrontCookies({ cookies, url, now, publicKeys, ...(clientIp ? { clientIp } : {}) });

describe('cloudFrontCookieSigner', () => {
  const signer = cloudFrontCookieSigner({ keyPairId: KEY_ID, privateKey: trusted.privateKey });

  it('makes the three custom-policy cookies, and they pass the verifier for that title only', () => {
    const cookies = signer.sign(titleA, inTenMinutes);
    expect(Object.keys(cookies).sort()).toEqual([
      'CloudFront-Key-Pair-Id',
      'CloudFront-Policy',
      'CloudFront-Signature',
    ]);
    expect(JSON.parse(decodeCloudFrontBase64(cookies['CloudFront-Policy'])!.toString())).toEqual({
      Statement: [{ Resource: titleA, Condition: { DateLessThan: { 'AWS:EpochTime': inTenMinutes } } }],
    });
    expect(check(cookies)).toEqual({ ok: true, keyPairId: KEY_ID, resource: titleA, dateLessThan: inTenMinutes });
    expect(check(cookies, `${MEDIA}/media/videos/aaa111/hls/master.m3u8`).ok).toBe(true);
    expect(check(cookies, segmentB)).toMatchObject({ ok: false, reason: 'resource_mismatch' });
  });

  it('reuses the signature for the same title and expiry, and signs anew for another', () => {
    const first = signer.sign(titleA, inTenMinutes);
    expect(signer.sign(titleA, inTenMinutes)).toEqual(first);
    const later = signer.sign(titleA, inTenMinutes + 10);
    expect(later['CloudFront-Signature']).not.toBe(first['CloudFront-Signature']);
    expect(check(later)).toMatchObject({ ok: true, dateLessThan: inTenMinutes + 10 });
    const other = signer.sign(`${MEDIA}/media/videos/bbb222/hls/*`, inTenMinutes);
    expect(check(other, segmentB).ok).toBe(true);
    expect(check(other, segmentA)).toMatchObject({ ok: false, reason: 'resource_mismatch' });
  });

  it('refuses milliseconds, fractions and non-http resources, and a non-RSA key', () => {
    expect(() => signer.sign(titleA, NOW)).toThrow(/epoch seconds/);
    expect(() => signer.sign(titleA, 1.5)).toThrow(/epoch seconds/);
    expect(() => signer.sign('/media/videos/aaa111/hls/*', inTenMinutes)).toThrow(/resource/);
    expect(() => signer.sign(`${MEDIA}/a"b`, inTenMinutes)).toThrow(/resource/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    expect(() => cloudFrontCookieSigner({ keyPairId: KEY_ID, privateKey: ec.toString() })).toThrow(/RSA/);
    expect(() => cloudFrontCookieSigner({ keyPairId: '', privateKey: trusted.privateKey })).toThrow(/keyPairId/);
  });
});

describe('verifyCloudFrontCookies', () => {
  const sdkCookies = (options: {
    resource?: string;
    dateLessThan?: number;
    privateKey?: string;
    keyPairId?: string;
  }) => {
    const cookies = getSignedCookies({
      keyPairId: options.keyPairId ?? KEY_ID,
      privateKey: options.privateKey ?? trusted.privateKey,
      policy: customPolicy(options.resource ?? titleA, options.dateLessThan ?? inTenMinutes),
    });
    return { ...cookies, 'CloudFront-Expires': undefined } satisfies CloudFrontCookieJar;
  };

  it('accepts cookies made by getSignedCookies for a covered URL until DateLessThan', () => {
    expect(check(sdkCookies({}))).toMatchObject({ ok: true });
    expect(check(sdkCookies({}), segmentA, inTenMinutes * 1000 - 1)).toMatchObject({ ok: true });
  });

  it('refuses each kind of bad cookie with its own reason', () => {
    const good = sdkCookies({});
    const results = {
      missing: check({}),
      missingSignature: check({ ...good, 'CloudFront-Signature': undefined }),
      missingKeyId: check({ ...good, 'CloudFront-Key-Pair-Id': undefined }),
      tampered: check({
        ...good,
        'CloudFront-Policy': safe(Buffer.from(customPolicy(`${MEDIA}/media/videos/*`, inTenMinutes))),
      }),
      otherTitle: check(sdkCookies({ resource: `${MEDIA}/media/videos/bbb222/hls/*` })),
      expired: check(good, segmentA, inTenMinutes * 1000),
      wrongKeyId: check({ ...good, 'CloudFront-Key-Pair-Id': 'K-SOMEONE-ELSE' }),
      protoKeyId: check({ ...good, 'CloudFront-Key-Pair-Id': '__proto__' }),
      otherKey: check(sdkCookies({ privateKey: stranger.privateKey })),
    };
    expect(
      Object.fromEntries(Object.entries(results).map(([name, result]) => [name, result.ok ? 'ok' : result.reason])),
    ).toEqual({
      missing: 'missing_cookies',
      missingSignature: 'missing_cookies',
      missingKeyId: 'missing_cookies',
      tampered: 'bad_signature',
      otherTitle: 'resource_mismatch',
      expired: 'expired',
      wrongKeyId: 'unknown_key_pair',
      protoKeyId: 'unknown_key_pair',
      otherKey: 'bad_signature',
    });
  });

  it('refuses a policy that is not CloudFront base64, not JSON, or not one well-formed statement', () => {
    const good = sdkCookies({});
    expect(check({ ...good, 'CloudFront-Policy': 'abc+def=' })).toMatchObject({ reason: 'malformed_policy' });
    expect(check({ ...good, 'CloudFront-Signature': 'abc/def' })).toMatchObject({ reason: 'bad_signature' });
    expect(check(handSigned('not json'))).toMatchObject({ reason: 'malformed_policy' });
    const statement = { Resource: titleA, Condition: { DateLessThan: { 'AWS:EpochTime': inTenMinutes } } };
    expect(check(handSigned(JSON.stringify({ Statement: [statement, statement] })))).toMatchObject({
      reason: 'malformed_policy',
    });
    expect(check(handSigned(JSON.stringify({ Statement: [{ Condition: statement.Condition }] })))).toMatchObject({
      reason: 'malformed_policy',
    });
    expect(
      check(
        handSigned(
          JSON.stringify({ Statement: [{ ...statement, Condition: { DateLessThan: { 'AWS:EpochTime': '9' } } }] }),
        ),
      ),
    ).toMatchObject({ reason: 'malformed_policy' });
    expect(check(handSigned(customPolicy(titleA, inTenMinutes)))).toMatchObject({ ok: true });
  });

  it('honours DateGreaterThan and IpAddress from the SDK’s own custom policies', () => {
    const start = NOW + 60_000;
    const cookies = getSignedCookies({
      keyPairId: KEY_ID,
      privateKey: trusted.privateKey,
      url: titleA,
      dateLessThan: new Date(inTenMinutes * 1000).toISOString(),
      dateGreaterThan: new Date(start).toISOString(),
      ipAddress: '203.0.113.0/24',
    });
    expect(cookies['CloudFront-Expires']).toBeUndefined();
    const jar = { ...cookies, 'CloudFront-Expires': undefined };
    expect(check(jar, segmentA, NOW, '203.0.113.9')).toMatchObject({ reason: 'not_yet_valid' });
    expect(check(jar, segmentA, start, '203.0.113.9')).toMatchObject({ ok: true });
    expect(check(jar, segmentA, start, '198.51.100.7')).toMatchObject({ reason: 'ip_mismatch' });
    expect(check(jar, segmentA, start)).toMatchObject({ reason: 'ip_mismatch' });
  });

  it('checks a SHA-256 signature when the hash-algorithm cookie says so', () => {
    const cookies = getSignedCookies({
      keyPairId: KEY_ID,
      privateKey: trusted.privateKey,
      policy: customPolicy(titleA, inTenMinutes),
      algorithm: 'SHA256',
    });
    const jar = { ...cookies, 'CloudFront-Expires': undefined };
    expect(jar['CloudFront-Hash-Algorithm']).toBe('SHA256');
    expect(check(jar)).toMatchObject({ ok: true });
    expect(check({ ...jar, 'CloudFront-Hash-Algorithm': undefined })).toMatchObject({ reason: 'bad_signature' });
    expect(check({ ...jar, 'CloudFront-Hash-Algorithm': 'MD5' })).toMatchObject({ reason: 'bad_signature' });
  });

  it('remembers a checked signature only for the same bytes and key, and still checks URL and time', () => {
    const keys: Record<string, string> = { [KEY_ID]: trusted.publicKey };
    const cookies = sdkCookies({});
    const run = (jar: CloudFrontCookieJar, url = segmentA, now = NOW) =>
      verifyCloudFrontCookies({ cookies: jar, url, now, publicKeys: keys });
    expect(run(cookies)).toMatchObject({ ok: true });
    expect(run(cookies)).toMatchObject({ ok: true });
    expect(run(cookies, segmentB)).toMatchObject({ reason: 'resource_mismatch' });
    expect(run(cookies, segmentA, inTenMinutes * 1000)).toMatchObject({ reason: 'expired' });
    const otherPolicy = safe(Buffer.from(customPolicy(`${MEDIA}/*`, inTenMinutes)));
    expect(run({ ...cookies, 'CloudFront-Policy': otherPolicy })).toMatchObject({ reason: 'bad_signature' });
    keys[KEY_ID] = stranger.publicKey; // the key was rotated: what was checked against the old one no longer holds
    expect(run(cookies)).toMatchObject({ reason: 'bad_signature' });
  });

  it('refuses canned-policy cookies, which Kinema never issues', () => {
    const canned = getSignedCookies({
      keyPairId: KEY_ID,
      privateKey: trusted.privateKey,
      url: segmentA,
      dateLessThan: new Date(inTenMinutes * 1000).toISOString(),
    });
    expect(canned['CloudFront-Expires']).toBe(inTenMinutes);
    expect(check({ ...canned, 'CloudFront-Expires': String(canned['CloudFront-Expires']) })).toMatchObject({
      reason: 'canned_policy_unsupported',
    });
  });
});

describe('resourceMatches (CloudFront wildcards)', () => {
  it('reads * as any run (also empty) and ? as exactly one character; nothing else is special', () => {
    expect(resourceMatches('https://h/a/*', 'https://h/a/')).toBe(true);
    expect(resourceMatches('https://h/a/*', 'https://h/a/b/c.m4s?x=1')).toBe(true);
    expect(resourceMatches('https://h/a/*', 'https://h/ab')).toBe(false);
    expect(resourceMatches('https://h/a/?.ts', 'https://h/a/1.ts')).toBe(true);
    expect(resourceMatches('https://h/a/?.ts', 'https://h/a/12.ts')).toBe(false);
    expect(resourceMatches('https://h/a.b', 'https://h/aXb')).toBe(false);
    expect(resourceMatches('https://h/(a)+[b]', 'https://h/(a)+[b]')).toBe(true);
    expect(resourceMatches('http*://h/a', 'https://h/a')).toBe(true);
    expect(resourceMatches('https://h/a', 'https://h/a/extra')).toBe(false);
    expect(resourceMatches('https://h/a/*', 'https://evil/https://h/a/')).toBe(false);
  });

  it('decodes only canonical CloudFront base64', () => {
    expect(decodeCloudFrontBase64(safe(Buffer.from('hi?>')))?.toString()).toBe('hi?>');
    expect(decodeCloudFrontBase64('aGk')).toBeUndefined();
    expect(decodeCloudFrontBase64('')).toBeUndefined();
  });
});
