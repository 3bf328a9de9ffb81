/**
 * The identity provider's user directory, where the entitlement service keeps the plan shown in
 * the access token's plan claim current (Auth0's app_metadata through the Management API). The
 * standalone issuer reads the entitlement store directly and needs no directory.
 */
export interface IdentityDirectory {
  setPlan(userId: string, plan: 'unlimited' | 'none'): Promise<void>;
}
