import { createPublicKey, createPrivateKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { getSignedCookies } from '@aws-sdk/cloudfront-signer';
import { z } from 'zod';
import type { CookieSigner, SignedCookies } from '#shared/ports/cookie-signer.js';

export const COOKIE_NAMES = {
  policy: 'CloudFront-Policy',
  signature: 'CloudFront-Signature',
  keyPairId: 'CloudFront-Key-Pair-Id',
  /** Sent only when the signer chose SHA-256; absent means SHA-1, CloudFront's default. */
  hashAlgorithm: 'CloudFront-Hash-Algorithm',
  /** Canned-policy cookie; Kinema never issues one. */
  expires: 'CloudFront-Expires',
} as const;

export interface CloudFrontCookieSignerOptions {
  /** The CloudFront public key id (key group member) the signature is checked against. */
  keyPairId: string;
  /** RSA private key, PEM. */
  privateKey: string;
}

/** Epoch seconds beyond this are surely milliseconds passed by mistake (year 5138). */
const MAX_EPOCH_SECONDS = 1e11;
const RESOURCE = /^https?:\/\/[^\s"\\]+$/;

/**
 * CloudFront signed cookies with a custom policy: one statement, `Resource` (wildcards allowed),
 * `DateLessThan` in epoch SECONDS. A custom policy (not a canned one) is what lets one set of
 * cookies cover every playlist and segment under a title's `hls/` folder.
 */
export function cloudFrontCookieSigner(options: CloudFrontCookieSignerOptions): CookieSigner {
  if (!options.keyPairId) throw new Error('cloudFrontCookieSigner: keyPairId is empty');
  // Parse once so a bad key fails at start-up, not on the first viewer.
  const key = createPrivateKey(options.privateKey);
  if (key.asymmetricKeyType !== 'rsa') throw new Error('cloudFrontCookieSigner: CloudFront needs an RSA key');

  const recent = new Map<string, SignedCookies>();
  return {
    sign(resource: string, dateLessThan: number): SignedCookies {
      if (!RESOURCE.test(resource)) throw new Error(`not an http(s) resource: ${JSON.stringify(resource)}`);
      if (!Number.isInteger(dateLessThan) || dateLessThan <= 0 || dateLessThan >= MAX_EPOCH_SECONDS) {
        throw new Error(`dateLessThan must be whole epoch seconds, got ${dateLessThan}`);
      }
      // The cookies depend only on (resource, expiry): reuse a recent signature (an RSA signature
      // costs milliseconds; many viewers of one title share the same 10-second expiry step).
      const memoKey = `${dateLessThan} ${resource}`;
      const remembered = recent.get(memoKey);
      if (remembered) return remembered;
      const policy = JSON.stringify({
        Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': dateLessThan } } }],
      });
      const cookies = getSignedCookies({ keyPairId: options.keyPairId, privateKey: options.privateKey, policy });
      const encodedPolicy = cookies[COOKIE_NAMES.policy];
      if (!encodedPolicy) throw new Error('getSignedCookies returned no CloudFront-Policy');
      const signed: SignedCookies = {
        'CloudFront-Policy': encodedPolicy,
        'CloudFront-Signature': cookies[COOKIE_NAMES.signature],
        'CloudFront-Key-Pair-Id': cookies[COOKIE_NAMES.keyPairId],
      };
      if (recent.size >= MEMO_SIZE) recent.delete(recent.keys().next().value as string);
      recent.set(memoKey, signed);
      return signed;
    },
  };
}

const MEMO_SIZE = 1024;

/** Why a request's cookies were refused; each is a distinct, machine-readable code. */
export type CookieRejection =
  | 'missing_cookies'
  | 'canned_policy_unsupported'
  | 'unknown_key_pair'
  | 'malformed_policy'
  | 'bad_signature'
  | 'resource_mismatch'
  | 'not_yet_valid'
  | 'expired'
  | 'ip_mismatch';

export type CookieVerification =
  | { ok: true; keyPairId: string; resource: string; dateLessThan: number }
  | { ok: false; reason: CookieRejection; message: string };

/** The cookies the check reads, by name; a plain `getCookie(c)` record or `SignedCookies` fits. */
export type CloudFrontCookieJar = Partial<Record<(typeof COOKIE_NAMES)[keyof typeof COOKIE_NAMES], string | undefined>>;

export interface VerifyCloudFrontCookiesInput {
  /** The request's cookies by name (e.g. Hono's `getCookie(c)`). */
  cookies: CloudFrontCookieJar;
  /** The full URL the browser asked for, scheme and host included, as CloudFront sees it. */
  url: string;
  /** Milliseconds since the epoch. */
  now: number;
  /** key-pair id → RSA public key PEM (the key group). */
  publicKeys: Record<string, string>;
  /** The viewer's address; checked only when the policy has an `IpAddress` condition. */
  clientIp?: string;
}

const EpochTime = z.object({ 'AWS:EpochTime': z.number().int().nonnegative() }).strict();
const Policy = z
  .object({
    Statement: z
      .array(
        z
          .object({
            Resource: z.string().min(1),
            Condition: z
              .object({
                DateLessThan: EpochTime,
                DateGreaterThan: EpochTime.optional(),
                IpAddress: z
                  .object({ 'AWS:SourceIp': z.string().min(1) })
                  .strict()
                  .optional(),
              })
              .strict(),
          })
          .strict(),
      )
      .length(1, 'a custom policy has exactly one statement'),
  })
  .strict();

const SAFE_BASE64 = /^[A-Za-z0-9~_-]+$/;

/** CloudFront's URL-safe base64 (`+`→`-`, `=`→`_`, `/`→`~`), decoded strictly (canonical form only). */
export function decodeCloudFrontBase64(value: string): Buffer | undefined {
  if (!SAFE_BASE64.test(value)) return undefined;
  const standard = value.replace(/[-_~]/g, (c) => (c === '-' ? '+' : c === '_' ? '=' : '/'));
  const bytes = Buffer.from(standard, 'base64');
  return bytes.toString('base64') === standard ? bytes : undefined;
}

/** CloudFront's Resource wildcards: `*` any run of characters (also none), `?` exactly one. */
export function resourceMatches(resource: string, url: string): boolean {
  let pattern = resourcePatterns.get(resource);
  if (!pattern) {
    const source = resource
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('');
    pattern = new RegExp(`^${source}$`, 's');
    if (resourcePatterns.size >= 1024) resourcePatterns.clear();
    resourcePatterns.set(resource, pattern);
  }
  return pattern.test(url);
}
const resourcePatterns = new Map<string, RegExp>();

const keyCache = new Map<string, KeyObject>();
function publicKeyOf(pem: string): KeyObject {
  let key = keyCache.get(pem);
  if (!key) {
    if (keyCache.size > 64) keyCache.clear();
    key = createPublicKey(pem);
    keyCache.set(pem, key);
  }
  return key;
}

function ipAllowed(sourceIp: string, clientIp: string | undefined): boolean {
  if (!clientIp) return false;
  const [address = '', prefixText] = sourceIp.split('/');
  const family = isIP(address);
  const clientFamily = isIP(clientIp);
  if (family === 0 || family !== clientFamily) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  list.addSubnet(address, prefix, type);
  return list.check(clientIp, type);
}

type Statement = z.infer<typeof Policy>['Statement'][number];
type SignedPolicyCheck = { ok: true; statement: Statement } | { ok: false; reason: CookieRejection; message: string };

/**
 * Signature validity depends only on the cookie bytes and the key, so it is remembered per key set:
 * a player fetches hundreds of segments with the same three cookies, and the RSA check would
 * otherwise be most of the edge's work per request. Bounded, oldest first out.
 */
const checkedPolicies = new WeakMap<Record<string, string>, Map<string, { pem: string; statement: Statement }>>();
const MAX_REMEMBERED = 1024;

function checkSignedPolicy(
  publicKeys: Record<string, string>,
  keyPairId: string,
  publicKeyPem: string,
  encodedPolicy: string,
  signature: string,
  hash: string | undefined,
): SignedPolicyCheck {
  let remembered = checkedPolicies.get(publicKeys);
  if (!remembered) {
    remembered = new Map();
    checkedPolicies.set(publicKeys, remembered);
  }
  const cacheKey = `${keyPairId}\n${hash ?? ''}\n${signature}\n${encodedPolicy}`;
  const known = remembered.get(cacheKey);
  // Only successes are kept, with the key they were checked against: a rotated key invalidates them.
  if (known && known.pem === publicKeyPem) return { ok: true, statement: known.statement };
  const result = verifySignedPolicy(publicKeyPem, encodedPolicy, signature, hash);
  if (result.ok) {
    if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value as string);
    remembered.set(cacheKey, { pem: publicKeyPem, statement: result.statement });
  }
  return result;
}

function verifySignedPolicy(
  publicKeyPem: string,
  encodedPolicy: string,
  signature: string,
  hash: string | undefined,
): SignedPolicyCheck {
  const refuseCheck = (reason: CookieRejection, message: string) => ({ ok: false as const, reason, message });
  const policyBytes = decodeCloudFrontBase64(encodedPolicy);
  if (!policyBytes) return refuseCheck('malformed_policy', 'the policy cookie is not CloudFront base64');
  const signatureBytes = decodeCloudFrontBase64(signature);
  if (!signatureBytes) return refuseCheck('bad_signature', 'the signature cookie is not CloudFront base64');

  if (hash !== undefined && hash !== 'SHA1' && hash !== 'SHA256') {
    return refuseCheck('bad_signature', `unsupported hash algorithm ${JSON.stringify(hash)}`);
  }
  const algorithm = hash === 'SHA256' ? 'RSA-SHA256' : 'RSA-SHA1';
  if (!verify(algorithm, policyBytes, publicKeyOf(publicKeyPem), signatureBytes)) {
    return refuseCheck('bad_signature', 'the signature does not match the policy');
  }

  let json: unknown;
  try {
    json = JSON.parse(policyBytes.toString('utf8'));
  } catch {
    return refuseCheck('malformed_policy', 'the policy is not JSON');
  }
  const parsed = Policy.safeParse(json);
  if (!parsed.success) return refuseCheck('malformed_policy', 'the policy is not a single-statement custom policy');
  const statement = parsed.data.Statement[0];
  if (!statement) return refuseCheck('malformed_policy', 'the policy has no statement');

  return { ok: true, statement };
}

const refuse = (reason: CookieRejection, message: string): CookieVerification => ({ ok: false, reason, message });

/**
 * The check CloudFront makes on a request carrying signed cookies with a custom policy: the
 * key-pair id names a trusted public key, the RSA signature (SHA-1 unless the hash-algorithm cookie
 * says SHA256) covers the exact policy bytes, the policy's single statement's Resource matches the
 * full request URL, and the time lies in [DateGreaterThan, DateLessThan). Pure: the local media
 * edge runs it on every request, and tests prove the signer's cookies pass it.
 *
 * Stricter than CloudFront in two places, both failing closed: a statement without Resource is
 * refused (CloudFront would read it as "the whole distribution"), and canned-policy cookies
 * (`CloudFront-Expires`) are refused because Kinema never issues them.
 */
export function verifyCloudFrontCookies(input: VerifyCloudFrontCookiesInput): CookieVerification {
  const { cookies } = input;
  const encodedPolicy = cookies[COOKIE_NAMES.policy];
  const signature = cookies[COOKIE_NAMES.signature];
  const keyPairId = cookies[COOKIE_NAMES.keyPairId];
  if (!encodedPolicy && cookies[COOKIE_NAMES.expires] && signature && keyPairId) {
    return refuse('canned_policy_unsupported', 'canned-policy cookies are not accepted here');
  }
  if (!encodedPolicy || !signature || !keyPairId) {
    return refuse('missing_cookies', 'the CloudFront-Policy, -Signature and -Key-Pair-Id cookies are required');
  }
  if (!Object.hasOwn(input.publicKeys, keyPairId)) {
    return refuse('unknown_key_pair', 'the cookies were signed with a key this edge does not trust');
  }
  const publicKeyPem = input.publicKeys[keyPairId] as string;

  const hash = cookies[COOKIE_NAMES.hashAlgorithm];
  const checked = checkSignedPolicy(input.publicKeys, keyPairId, publicKeyPem, encodedPolicy, signature, hash);
  if (!checked.ok) return checked;
  const statement = checked.statement;

  if (!resourceMatches(statement.Resource, input.url)) {
    return refuse('resource_mismatch', 'the policy does not cover this URL');
  }
  const { DateLessThan, DateGreaterThan, IpAddress } = statement.Condition;
  if (DateGreaterThan && input.now < DateGreaterThan['AWS:EpochTime'] * 1000) {
    return refuse('not_yet_valid', 'the policy is not valid yet');
  }
  if (input.now >= DateLessThan['AWS:EpochTime'] * 1000) {
    return refuse('expired', 'the policy has expired');
  }
  if (IpAddress && !ipAllowed(IpAddress['AWS:SourceIp'], input.clientIp)) {
    return refuse('ip_mismatch', 'the policy does not allow this address');
  }
  return { ok: true, keyPairId, resource: statement.Resource, dateLessThan: DateLessThan['AWS:EpochTime'] };
}
