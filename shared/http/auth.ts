import type { MiddlewareHandler } from 'hono';
import { forbidden, unauthorized } from '../errors.js';
import type { Principal, Role, TokenVerifier } from '../ports/token-verifier.js';
import type { AppEnv } from './app.js';

/**
 * Reads `Authorization: Bearer <jwt>` when present and verifies it. A present but bad token is
 * refused (401) rather than treated as anonymous, so a broken client learns at once.
 */
export function authenticate(verifier: TokenVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined) {
      c.set('principal', undefined);
      return next();
    }
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
    if (!match?.[1]) throw unauthorized('the Authorization header must be "Bearer <token>"');
    c.set('principal', await verifier.verify(match[1]));
    return next();
  };
}

export function requirePrincipal(principal: Principal | undefined): Principal {
  if (!principal) throw unauthorized();
  return principal;
}

export function requireRole(principal: Principal | undefined, role: Role): Principal {
  const who = requirePrincipal(principal);
  if (!who.roles.includes(role)) throw forbidden(`this needs the ${role} role`);
  return who;
}

export const signedIn: MiddlewareHandler<AppEnv> = async (c, next) => {
  requirePrincipal(c.get('principal'));
  return next();
};

export const adminOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  requireRole(c.get('principal'), 'admin');
  return next();
};
