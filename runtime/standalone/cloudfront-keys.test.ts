import { createPrivateKey } from 'node:crypto';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cloudFrontCookieSigner, verifyCloudFrontCookies } from '#protocol/cloudfront-cookies.js';
import { loadOrCreateCloudFrontKeys, prepareCloudFrontKeys } from '#platform/local/cloudfront-keys.js';
import { loadIdentitySecrets, prepareIdentitySecrets } from '#platform/local/identity/keys.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('loadOrCreateCloudFrontKeys', () => {
  it('makes an RSA 2048 pair once, keeps it 0600 across restarts, and its cookies verify', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kinema-cfkeys-'));
    const first = loadOrCreateCloudFrontKeys(join(dir, 'data'));
    expect(first.keyPairId).toMatch(/^K[A-Z2-7]{16}$/);
    expect(createPrivateKey(first.privateKey).asymmetricKeyDetails?.modulusLength).toBe(2048);
    const file = join(dir, 'data', 'cloudfront-keys.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const again = loadOrCreateCloudFrontKeys(join(dir, 'data'));
    expect(again).toEqual(first);

    const now = Date.UTC(2030, 0, 1);
    const cookies = cloudFrontCookieSigner(first).sign('http://localhost:3000/media/videos/v1/hls/*', now / 1000 + 60);
    expect(
      verifyCloudFrontCookies({
        cookies,
        url: 'http://localhost:3000/media/videos/v1/hls/master.m3u8',
        now,
        publicKeys: { [again.keyPairId]: again.publicKey },
      }),
    ).toMatchObject({ ok: true });
  });

  it('tightens a key file others can read, and refuses a damaged one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kinema-cfkeys-'));
    loadOrCreateCloudFrontKeys(dir);
    const file = join(dir, 'cloudfront-keys.json');
    chmodSync(file, 0o644);
    loadOrCreateCloudFrontKeys(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, JSON.stringify({ keyPairId: 'nope', privateKey: 'x' }));
    expect(() => loadOrCreateCloudFrontKeys(dir)).toThrow();
  });

  it('prepares both start-up keys off the main thread once; loading then only reads them', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kinema-cfkeys-'));
    await Promise.all([prepareCloudFrontKeys(dir), prepareIdentitySecrets(dir)]);
    const file = join(dir, 'cloudfront-keys.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const keys = loadOrCreateCloudFrontKeys(dir);
    expect(createPrivateKey(keys.privateKey).asymmetricKeyDetails?.modulusLength).toBe(2048);
    const identity = loadIdentitySecrets(dir);
    expect(identity.privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    // Preparing again keeps what is there: tokens and cookies issued before stay valid.
    await Promise.all([prepareCloudFrontKeys(dir), prepareIdentitySecrets(dir)]);
    expect(loadOrCreateCloudFrontKeys(dir)).toEqual(keys);
    expect(loadIdentitySecrets(dir).kid).toBe(identity.kid);
  });
});
