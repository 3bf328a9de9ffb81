export const ROLES = ['admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, from a verified access token. */
export interface Principal {
  userId: string;
  email?: string;
  roles: Role[];
  /** For display only: playback decisions read the entitlement store, never this claim. */
  plan?: string;
}

/** Verifies an RS256 JWT access token (jose, JWKS, exact issuer and audience). */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

/** Custom claims, namespaced as Auth0 requires; the built-in issuer writes the same ones. */
export const CLAIMS = {
  roles: 'https://kinema.app/roles',
  plan: 'https://kinema.app/plan',
  email: 'https://kinema.app/email',
} as const;
