import * as auth0 from '@pulumi/auth0';
import type * as pulumi from '@pulumi/pulumi';
import { readFileSync } from 'node:fs';
import { ROLES } from '#shared/ports/token-verifier.js';
import type { StackConfig } from './config.js';

/** The Action's source, deployed as text: the very file its unit test runs. */
export const postLoginSource = readFileSync(new URL('./auth0-post-login.js', import.meta.url), 'utf8');

/**
 * The Auth0 tenant as code: the SvelteKit site's client, the API, the roles and the post-login
 * Action that puts roles, plan and email into access tokens. Only the primary stack creates it:
 * the tenant is one for both regions and outlives either.
 */
export function auth0Tenant(config: StackConfig) {
  const origin = `https://${config.domain}`;

  const api = new auth0.ResourceServer('api', {
    name: 'Kinema API',
    identifier: config.authAudience,
    signingAlg: 'RS256',
    allowOfflineAccess: true,
    tokenLifetime: 3600,
    skipConsentForVerifiableFirstPartyClients: true,
  });

  const web = new auth0.Client('web', {
    name: 'Kinema web',
    description: 'The SvelteKit site (server-side authorisation code flow with PKCE)',
    appType: 'regular_web',
    oidcConformant: true,
    isFirstParty: true,
    callbacks: [`${origin}/auth/callback`],
    allowedLogoutUrls: [`${origin}/`],
    webOrigins: [origin],
    initiateLoginUri: `${origin}/auth/login`,
    grantTypes: ['authorization_code', 'refresh_token'],
    jwtConfiguration: { alg: 'RS256' },
    refreshToken: {
      rotationType: 'rotating',
      expirationType: 'expiring',
      leeway: 30,
      tokenLifetime: 30 * 24 * 3600,
      idleTokenLifetime: 7 * 24 * 3600,
      infiniteTokenLifetime: false,
      infiniteIdleTokenLifetime: false,
    },
  });

  const roles = Object.fromEntries(
    ROLES.map((role) => [role, new auth0.Role(`role-${role}`, { name: role, description: `Kinema ${role}` })]),
  );

  const postLogin = new auth0.Action('post-login', {
    name: 'kinema-post-login',
    runtime: 'node22',
    deploy: true,
    code: postLoginSource,
    supportedTriggers: { id: 'post-login', version: 'v3' },
  });

  const binding = new auth0.TriggerActions('post-login-binding', {
    trigger: 'post-login',
    actions: [{ id: postLogin.id, displayName: postLogin.name }],
  });

  // The entitlement service keeps app_metadata.plan current and serves the admin's user management
  // (platform/aws/auth0-directory.ts): a machine-to-machine client with exactly those scopes.
  const planSync = new auth0.Client('plan-sync', {
    name: 'Kinema plan sync',
    description: 'The entitlement service: writes app_metadata.plan for the access token plan claim',
    appType: 'non_interactive',
    grantTypes: ['client_credentials'],
    jwtConfiguration: { alg: 'RS256' },
  });
  const planSyncCredentials = new auth0.ClientCredentials('plan-sync-credentials', {
    clientId: planSync.clientId,
    authenticationMethod: 'client_secret_post',
  });
  const planSyncGrant = new auth0.ClientGrant('plan-sync-grant', {
    clientId: planSync.clientId,
    audience: `https://${config.auth0Domain}/api/v2/`,
    scopes: [...PLAN_SYNC_SCOPES],
  });

  // The standalone issuer's throttle, Auth0's way: brute force counted per (account, IP) so a
  // stranger blocks only their own address, breached passwords refused at sign-up and password
  // change, and an IP that tries many accounts slowed (docs/security.md).
  const attackProtection = new auth0.AttackProtection('attack-protection', {
    bruteForceProtection: {
      enabled: true,
      mode: 'count_per_identifier_and_ip',
      maxAttempts: 10,
      shields: ['block', 'user_notification'],
    },
    breachedPasswordDetection: {
      enabled: true,
      method: 'standard',
      shields: ['block', 'admin_notification'],
      adminNotificationFrequencies: ['daily'],
      preUserRegistration: { shields: ['block'] },
      preChangePassword: { shields: ['block'] },
    },
    suspiciousIpThrottling: {
      enabled: true,
      shields: ['block', 'admin_notification'],
      preLogin: { maxAttempts: 100, rate: 864_000 },
      preUserRegistration: { maxAttempts: 50, rate: 1_728 },
    },
  });

  // One look on AWS too: Universal Login (sign-in, sign-up, forgotten password, consent) in the
  // site's colours and logo, Japanese first, and its "back to the site" going home.
  const tenant = new auth0.Tenant('tenant', {
    friendlyName: 'Kinema',
    enabledLocales: ['ja', 'en'],
    defaultRedirectionUri: `${origin}/`,
  });
  const branding = new auth0.Branding('branding', {
    logoUrl: `${origin}/favicon.svg`,
    faviconUrl: `${origin}/favicon.svg`,
    colors: { primary: '#f5b642', pageBackground: '#0b0b10' },
  });

  return {
    api,
    web,
    roles,
    postLogin,
    binding,
    planSync,
    planSyncCredentials,
    planSyncGrant,
    attackProtection,
    tenant,
    branding,
  };
}

/** All the Management API may do for Kinema's entitlement service. */
export const PLAN_SYNC_SCOPES = [
  'update:users_app_metadata',
  // User management on the admin pages (platform/aws/auth0-directory.ts).
  'read:users',
  'read:roles',
  'read:role_members',
  'create:role_members',
  'delete:role_members',
  'delete:users',
] as const;

/**
 * The entitlement Lambda's environment for the plan sync: the tenant and the client id. The
 * client's secret is never put here: the operator copies it into the secret
 * `kinema/auth0-plan-sync-client-secret` (README), which the function reads at cold start.
 */
export function planSyncEnvironment(config: StackConfig, clientId: pulumi.Input<string>) {
  return { AUTH0_DOMAIN: config.auth0Domain, AUTH0_MGMT_CLIENT_ID: clientId };
}
