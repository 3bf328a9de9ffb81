import { env } from '$env/dynamic/private';
import { z } from 'zod';

const origin = z
  .url()
  .transform((value) => new URL(value).origin)
  .describe('an origin such as http://localhost:3000');

const WebConfig = z.object({
  /** The origin people type in a browser: redirect URIs and cookie flags are built on it. */
  KINEMA_PUBLIC_URL: origin,
  /** Where server-side code reaches /api (standalone: the same server; AWS: the API origin). */
  KINEMA_API_ORIGIN: origin,
  KINEMA_OIDC_ISSUER: z.url().transform((value) => value.replace(/\/$/, '')),
  KINEMA_OIDC_CLIENT_ID: z.string().min(1),
  KINEMA_OIDC_CLIENT_SECRET: z.string().min(1),
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
  /** 32 random bytes, base64url: the key of the encrypted session cookie. */
  KINEMA_SESSION_SECRET: z
    .string()
    .transform((value) => Buffer.from(value, 'base64url'))
    .refine((key) => key.length === 32, 'must be 32 bytes, base64url-encoded'),
});

export type WebConfig = z.infer<typeof WebConfig> & { secureCookies: boolean };

let parsed: WebConfig | undefined;

/**
 * The web's server-side configuration, parsed once from the environment on first use (the
 * standalone server sets process.env before importing the handler; on AWS the edge sets it).
 * A bad variable fails loudly, naming every problem, instead of half-working.
 */
export function webConfig(): WebConfig {
  if (parsed) return parsed;
  const result = WebConfig.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`bad web configuration: ${problems.join('; ')}`);
  }
  parsed = { ...result.data, secureCookies: result.data.KINEMA_PUBLIC_URL.startsWith('https:') };
  return parsed;
}
