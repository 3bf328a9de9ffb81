/**
 * Auth0 post-login Action (runtime node22), deployed as this file's text by infra/auth0.ts.
 * It copies the user's roles, plan and email into the access token under the namespaced claims
 * Kinema's services read (shared/ports/token-verifier.ts, CLAIMS); infra tests hold the names equal.
 * Auth0 runs Actions as CommonJS, hence `exports`.
 */
const CLAIM_ROLES = 'https://kinema.app/roles';
const CLAIM_PLAN = 'https://kinema.app/plan';
const CLAIM_EMAIL = 'https://kinema.app/email';
const KNOWN_ROLES = ['admin', 'viewer'];

exports.onExecutePostLogin = async (event, api) => {
  const assigned = (event.authorization && event.authorization.roles) || [];
  const roles = assigned.filter((role) => KNOWN_ROLES.includes(role));
  // Everyone who can sign in may browse; admin is granted in Auth0 by assigning the role.
  if (!roles.includes('viewer')) roles.push('viewer');
  api.accessToken.setCustomClaim(CLAIM_ROLES, roles);
  api.idToken.setCustomClaim(CLAIM_ROLES, roles);

  const plan = event.user.app_metadata && event.user.app_metadata.plan;
  // For display only: playback decisions read the entitlement store, never this claim.
  if (typeof plan === 'string' && plan.length > 0) api.accessToken.setCustomClaim(CLAIM_PLAN, plan);

  if (typeof event.user.email === 'string') api.accessToken.setCustomClaim(CLAIM_EMAIL, event.user.email);
};
