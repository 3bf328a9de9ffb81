import { error } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';
import { z } from 'zod';
import { m } from '$lib/paraglide/messages.js';

const origin = z
  .url()
  .transform((value) => new URL(value).origin)
  .describe('an origin such as http://localhost:3000');

/** What every page needs: public values only, so anonymous pages render before any secret is set. */
const WebConfig = z.object({
  /** The origin people type in a browser: redirect URIs and cookie flags are built on it. */
  KINEMA_PUBLIC_URL: origin,
  /** Where server-side code reaches /api (standalone: the same server; AWS: the API origin). */
  KINEMA_API_ORIGIN: origin,
  KINEMA_OIDC_ISSUER: z.url().transform((value) => value.replace(/\/$/, '')),
  KINEMA_OIDC_CLIENT_ID: z.string().min(1),
  /** How the web authenticates at the token endpoint; must match the client's registration. */
  KINEMA_OIDC_CLIENT_AUTH: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_post'),
  /** The API's identifier: the `resource` (and Auth0 `audience`) the access token is minted for. */
  KINEMA_OIDC_AUDIENCE: z.string().min(1),
  /**
   * AWS only: AppSync Events for live like counts (infra's `realtimeEndpoints` and
   * `realtimeViewerKey`; the key may subscribe, never publish). Unset standalone: the SSE hub.
   */
  KINEMA_REALTIME_HTTP_HOST: z.string().min(1).optional(),
  KINEMA_REALTIME_HOST: z.string().min(1).optional(),
  KINEMA_REALTIME_API_KEY: z.string().min(1).optional(),
});

export type WebConfig = z.infer<typeof WebConfig> & { secureCookies: boolean };

/** 32 random bytes, base64url: the key of the encrypted session cookie. */
const SessionKey = z
  .string()
  .transform((value) => Buffer.from(value, 'base64url'))
  .refine((key) => key.length === 32, 'must be 32 bytes, base64url-encoded');

let parsed: WebConfig | undefined;

function problems(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
}

/**
 * The web's public server-side configuration, parsed once from the environment on first use (the
 * standalone server sets process.env before importing the handler; on AWS the edge sets it).
 * A bad variable fails loudly, naming every problem, instead of half-working. The two secrets are
 * not part of it: each is read where it is used (`sessionKey`, `oidcClientSecret`).
 */
export function webConfig(): WebConfig {
  if (parsed) return parsed;
  const result = WebConfig.safeParse(env);
  if (!result.success) throw new Error(`bad web configuration: ${problems(result.error)}`);
  parsed = { ...result.data, secureCookies: result.data.KINEMA_PUBLIC_URL.startsWith('https:') };
  return parsed;
}

/** A secret may arrive after start (the edge re-reads an empty one): cache by its raw value. */
let sessionKeyCache: { raw: string; key: Uint8Array | undefined } | undefined;

/**
 * The session cookie's key, or undefined while none is configured (an operator has not filled the
 * secret yet): the site then has no sessions, and every visitor is signed out. A key that is set
 * but malformed is logged once, naming the problem, and treated as none (sign-in answers 503):
 * a page is never a 500 for it.
 */
export function sessionKey(): Uint8Array | undefined {
  const raw = env['KINEMA_SESSION_SECRET'];
  if (!raw) return undefined;
  if (sessionKeyCache?.raw === raw) return sessionKeyCache.key;
  const result = SessionKey.safeParse(raw);
  if (!result.success) {
    const msg = `bad web configuration: KINEMA_SESSION_SECRET ${result.error.issues[0]?.message ?? 'is malformed'}`;
    console.error(JSON.stringify({ level: 'error', msg }));
  }
  sessionKeyCache = { raw, key: result.data };
  return result.data;
}

/** The OIDC client's secret for the token endpoint, or undefined while none is configured. */
export function oidcClientSecret(): string | undefined {
  return env['KINEMA_OIDC_CLIENT_SECRET'] || undefined;
}

/** Both secrets sign-in needs, or a 503 page that says sign-in is not configured yet. */
export function signInSecrets(): { sessionKey: Uint8Array; clientSecret: string } {
  const key = sessionKey();
  const clientSecret = oidcClientSecret();
  if (!key || !clientSecret) {
    error(503, { message: m.error_signin_unconfigured(), code: 'signin_unconfigured' });
  }
  return { sessionKey: key, clientSecret };
}
