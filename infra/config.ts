import * as pulumi from '@pulumi/pulumi';
import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { parseConfig } from '#shared/config.js';

const Region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as ap-northeast-1');
const Hostname = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/, 'a host name');
const Flag = z.enum(['true', 'false']).transform((value) => value === 'true');
/** The retention periods CloudWatch Logs accepts (a subset: longer ones are not worth paying for). */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365] as const;

/**
 * A CloudFront public key in PEM, given either as the PEM text or as its base64 (one line, so it
 * fits the flat stack files: `pulumi config set kinema:cloudFrontPublicKey "$(base64 -w0 public.pem)"`).
 * Normalised to the PEM text with a trailing newline, as CloudFront stores it.
 */
const PublicKeyPem = z
  .string()
  .transform((value) => (value.includes('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('utf8')))
  .transform((pem) => `${pem.trim()}\n`)
  .refine((pem) => {
    try {
      return createPublicKey(pem).asymmetricKeyType === 'rsa' && pem.startsWith('-----BEGIN PUBLIC KEY-----');
    } catch {
      return false;
    }
  }, 'an RSA public key in PEM (SubjectPublicKeyInfo), or its base64');

/**
 * The stack configuration, keyed exactly as in `Pulumi.<stack>.yaml`, so the stack files and the
 * running program are checked by one schema. Secrets (`auth0:clientSecret`) are read by the Auth0
 * provider itself and are not part of it.
 */
export const StackConfigSchema = z
  .object({
    'aws:region': Region,
    /** The primary owns the global tables and the Auth0 tenant; the secondary is the standby. */
    'kinema:role': z.enum(['primary', 'secondary']),
    /** The other region: where the primary puts the table replicas. */
    'kinema:peerRegion': Region,
    /** The public host of the site; callbacks and the API audience are built on it. */
    'kinema:domain': Hostname,
    'kinema:alarmEmail': z.email(),
    'kinema:logRetentionDays': z.coerce
      .number()
      .int()
      .refine((days) => (RETENTION_DAYS as readonly number[]).includes(days), 'a CloudWatch retention period')
      .default(30),
    /**
     * THE active region: the one whose outbox relays (Pipes RUNNING) and whose schedules run.
     * Both stack files carry the same value, so the switch is one line, replicated to both
     * stacks by git; failover and failback change it (docs/disaster-recovery.md).
     */
    'kinema:activeRegion': Region,
    /**
     * The public half of the key pair that signs playback cookies (its private half is the secret
     * `kinema/cloudfront-private-key`). Required by the primary, which makes the key group (infra/site.ts).
     */
    'kinema:cloudFrontPublicKey': PublicKeyPem.optional(),
    /** Largest upload an admin may declare, in bytes (default 50 GiB, the catalog's default). */
    'kinema:maxUploadBytes': z.coerce
      .number()
      .int()
      .positive()
      .default(50 * 1024 ** 3),
    /**
     * Whether the primary replicates its buckets to the peer's. On the very first deployment the
     * peer's buckets do not exist yet and S3 refuses a replication rule to a missing bucket, so it
     * starts `false`, the secondary is deployed, then it is set `true` (README: bootstrap).
     */
    'kinema:bucketReplication': Flag.optional(),
    /** The Route 53 public hosted zone holding the domain (default: the domain itself). */
    'kinema:hostedZone': Hostname.optional(),
    /**
     * The secondary's reference to the primary stack (`<org>/kinema/prod-tokyo`): the global pieces
     * the primary owns (the distribution, the playback key, the plan-sync client) are read there.
     */
    'kinema:primaryStack': z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'a stack reference <org>/<project>/<stack>')
      .optional(),
    /** Where `npm run build:edge` left the site (default dist/edge); the tests point it at a fixture. */
    'kinema:edgeDir': z.string().min(1).optional(),
    'auth0:domain': Hostname,
  })
  .refine((raw) => raw['kinema:role'] === 'primary' || raw['kinema:primaryStack'] !== undefined, {
    message: 'a secondary stack needs kinema:primaryStack, the primary it reads global pieces from',
    path: ['kinema:primaryStack'],
  })
  .refine((raw) => [raw['aws:region'], raw['kinema:peerRegion']].includes(raw['kinema:activeRegion']), {
    message: 'the active region must be this region or its peer',
    path: ['kinema:activeRegion'],
  })
  .refine((raw) => raw['aws:region'] !== raw['kinema:peerRegion'], {
    message: 'the peer region must differ from the stack region',
    path: ['kinema:peerRegion'],
  })
  .transform((raw) => ({
    region: raw['aws:region'],
    role: raw['kinema:role'],
    peerRegion: raw['kinema:peerRegion'],
    domain: raw['kinema:domain'],
    alarmEmail: raw['kinema:alarmEmail'],
    logRetentionDays: raw['kinema:logRetentionDays'],
    activeRegion: raw['kinema:activeRegion'],
    /** Whether this region relays the outbox and runs the schedules: only the active one does. */
    relayActive: raw['kinema:activeRegion'] === raw['aws:region'],
    cloudFrontPublicKey: raw['kinema:cloudFrontPublicKey'],
    maxUploadBytes: raw['kinema:maxUploadBytes'],
    /**
     * Both regions replicate to each other (S3 never sends a replica back), so whichever region
     * is active, its objects reach the other. Off only while bootstrapping (README).
     */
    bucketReplication: raw['kinema:bucketReplication'] ?? true,
    /** The site's origin: the only one allowed by CORS on the buckets. */
    siteOrigin: `https://${raw['kinema:domain']}`,
    hostedZone: raw['kinema:hostedZone'] ?? raw['kinema:domain'],
    primaryStack: raw['kinema:primaryStack'],
    edgeDir: raw['kinema:edgeDir'],
    auth0Domain: raw['auth0:domain'],
    /** The issuer Auth0 writes in its tokens: the tenant URL with a trailing slash. */
    authIssuer: `https://${raw['auth0:domain']}/`,
    /** The API's identifier in Auth0, and so the audience of every access token. */
    authAudience: `https://${raw['kinema:domain']}/api`,
  }));

export type StackConfig = z.output<typeof StackConfigSchema>;
export type StackConfigKey = keyof z.input<typeof StackConfigSchema>;

/** Parses flat `namespace:key` values (a stack file's lines, or Pulumi's config) into the typed config. */
export function parseStackConfig(raw: Record<string, string | undefined>): StackConfig {
  return parseConfig(StackConfigSchema, raw);
}

/** Reads the running stack's configuration once; the composition root (index.ts) calls it. */
export function loadStackConfig(): StackConfig {
  const keys = Object.keys(StackConfigSchema.in.shape) as StackConfigKey[];
  const raw: Record<string, string | undefined> = {};
  for (const key of keys) {
    const [namespace, name] = key.split(':') as [string, string];
    raw[key] = new pulumi.Config(namespace).get(name);
  }
  return parseStackConfig(raw);
}
