import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseStackConfig } from './config.js';
import { readStackFile } from './test-support.js';

const stackFile = (name: string) => readStackFile(new URL(`../${name}`, import.meta.url).pathname);

describe('stack files', () => {
  it('Tokyo parses as the primary, replicating to Singapore', () => {
    const config = parseStackConfig(stackFile('Pulumi.prod-tokyo.yaml'));
    expect(config).toMatchObject({
      region: 'ap-northeast-1',
      role: 'primary',
      peerRegion: 'ap-southeast-1',
      relayActive: true,
      authIssuer: `https://${config.auth0Domain}/`,
      authAudience: `https://${config.domain}/api`,
    });
  });

  it('Singapore parses as the secondary of Tokyo, relay off', () => {
    const config = parseStackConfig(stackFile('Pulumi.prod-singapore.yaml'));
    expect(config).toMatchObject({
      region: 'ap-southeast-1',
      role: 'secondary',
      peerRegion: 'ap-northeast-1',
      relayActive: false,
    });
  });

  it('both stacks serve one domain with one Auth0 tenant', () => {
    const tokyo = parseStackConfig(stackFile('Pulumi.prod-tokyo.yaml'));
    const singapore = parseStackConfig(stackFile('Pulumi.prod-singapore.yaml'));
    expect([singapore.domain, singapore.auth0Domain]).toEqual([tokyo.domain, tokyo.auth0Domain]);
    expect([tokyo.peerRegion, singapore.peerRegion]).toEqual([singapore.region, tokyo.region]);
  });

  it('hold no secret in clear text', () => {
    for (const name of ['Pulumi.prod-tokyo.yaml', 'Pulumi.prod-singapore.yaml']) {
      expect(Object.keys(stackFile(name)).filter((key) => /secret|password|token/i.test(key))).toEqual([]);
    }
  });
});

describe('the config schema', () => {
  const valid = stackFile('Pulumi.prod-tokyo.yaml');

  it('rejects an unknown role, a bad region, a peer equal to the region and a missing domain', () => {
    expect(() => parseStackConfig({ ...valid, 'kinema:role': 'tertiary' })).toThrow(/kinema:role/);
    expect(() => parseStackConfig({ ...valid, 'aws:region': 'tokyo' })).toThrow(/aws:region/);
    expect(() => parseStackConfig({ ...valid, 'kinema:peerRegion': 'ap-northeast-1' })).toThrow(/peerRegion/);
    expect(() => parseStackConfig({ ...valid, 'kinema:domain': undefined })).toThrow(/kinema:domain/);
    expect(() => parseStackConfig({ ...valid, 'kinema:logRetentionDays': '31' })).toThrow(/logRetentionDays/);
  });

  it('names one active region in both stack files: exactly one relays, and failover moves it', () => {
    const tokyo = stackFile('Pulumi.prod-tokyo.yaml');
    const singapore = stackFile('Pulumi.prod-singapore.yaml');
    expect(tokyo['kinema:activeRegion']).toBe(singapore['kinema:activeRegion']);
    const relaying = [tokyo, singapore].map((file) => parseStackConfig(file).relayActive);
    expect(relaying).toEqual([true, false]);
    const failedOver = [tokyo, singapore].map(
      (file) => parseStackConfig({ ...file, 'kinema:activeRegion': 'ap-southeast-1' }).relayActive,
    );
    expect(failedOver).toEqual([false, true]);
    expect(() => parseStackConfig({ ...tokyo, 'kinema:activeRegion': 'us-east-1' })).toThrow(/activeRegion/);
    expect(() => parseStackConfig({ ...singapore, 'kinema:primaryStack': undefined })).toThrow(/primaryStack/);
  });
});

describe('the CloudFront public key', () => {
  const valid = stackFile('Pulumi.prod-tokyo.yaml');
  const { publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

  it('is optional in the stack file; the CDN asks for it when it is missing', () => {
    expect(parseStackConfig(valid).cloudFrontPublicKey).toBeUndefined();
  });

  it('accepts the PEM text or its one-line base64, and keeps the PEM', () => {
    const base64 = Buffer.from(publicKey).toString('base64');
    for (const given of [publicKey, base64]) {
      const config = parseStackConfig({ ...valid, 'kinema:cloudFrontPublicKey': given });
      expect(config.cloudFrontPublicKey).toBe(`${publicKey.trim()}\n`);
    }
  });

  it('rejects anything that is not an RSA public key (a private key above all)', () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
    for (const given of ['hello', Buffer.from('garbage').toString('base64'), privateKey, String(ec)]) {
      expect(() => parseStackConfig({ ...valid, 'kinema:cloudFrontPublicKey': given })).toThrow(/cloudFrontPublicKey/);
    }
  });

  it('derives the site origin and replicates buckets both ways unless bootstrapping', () => {
    expect(parseStackConfig(valid)).toMatchObject({ siteOrigin: 'https://kinema.app', bucketReplication: true });
    expect(parseStackConfig({ ...valid, 'kinema:bucketReplication': 'false' }).bucketReplication).toBe(false);
    expect(parseStackConfig(stackFile('Pulumi.prod-singapore.yaml')).bucketReplication).toBe(true);
  });
});
