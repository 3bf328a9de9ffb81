import { z } from 'zod';
import { webConfig } from './config';

/** `GET /api/entitlement/me`, as the public contract describes it (the web reads it over HTTP only). */
export const MyEntitlement = z.object({
  plan: z.string(),
  subscription: z
    .object({
      status: z.string(),
      periodEnd: z.string(),
      cancelAtPeriodEnd: z.boolean().optional(),
    })
    .nullable()
    .optional(),
  rentals: z.array(z.object({ videoId: z.string(), purchasedAt: z.string(), expiresAt: z.string() })),
});
export type MyEntitlement = z.infer<typeof MyEntitlement>;

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Calls the API as the signed-in person and parses the answer; any surprise is an ApiError. */
export async function apiGet<S extends z.ZodType>(path: string, accessToken: string, schema: S): Promise<z.infer<S>> {
  const url = new URL(path, webConfig().KINEMA_API_ORIGIN);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new ApiError(503, `the API could not be reached: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) throw new ApiError(response.status, `${path} answered ${response.status}`);
  const parsed = schema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new ApiError(502, `${path} answered an unexpected shape`);
  return parsed.data;
}
