/**
 * The standalone runtime's public identity defaults, derived from the one public origin. The CLI,
 * the server and the web app must agree on them, so they are computed in one place.
 */
export function identityUrls(publicUrl: string) {
  const origin = publicUrl.replace(/\/+$/, '');
  return {
    issuer: `${origin}/oidc`,
    audience: `${origin}/api`,
    webClientId: 'kinema-web',
    webRedirectUri: `${origin}/auth/callback`,
    webPostLogoutRedirectUri: `${origin}/`,
  };
}
