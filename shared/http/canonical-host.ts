/**
 * Where a request for a page on another host than the public URL's should go instead, or
 * undefined when it is already on the public host (or is not a page).
 *
 * A sign-in started on `127.0.0.1` (or a LAN address) would set its state cookie on that host and
 * come back to the public URL's callback without it; sending every page request to the public
 * host first (308: the method and body are kept) means a flow only ever starts there.
 *
 * Not redirected: the API, health checks, the media edge and presigned object URLs. They carry
 * their own credentials (a bearer token, signed cookies scoped to the public host, a signed URL),
 * no flow starts on them, and the web's own server-side calls reach the API on a loopback origin.
 *
 * The host compared is `X-Forwarded-Host` when present, else `Host`: a proxy that rewrites Host to
 * its upstream (nginx's default) then causes no loop. Trusting it is safe here because the header
 * only decides whether to redirect; the target is always the configured public URL.
 */
export function canonicalRedirect(
  request: { path: string; host: string | undefined; forwardedHost?: string | undefined },
  publicUrl: string,
): string | undefined {
  if (EXEMPT.some((prefix) => request.path === prefix || request.path.startsWith(`${prefix}/`))) return undefined;
  if (request.path.startsWith('/healthz')) return undefined;
  const seen = (request.forwardedHost?.split(',')[0] ?? request.host ?? '').trim().toLowerCase();
  if (!seen) return undefined;
  const target = new URL(publicUrl);
  if (seen === target.host.toLowerCase()) return undefined;
  // The path is kept as sent (only a path: never `//host`, which would name another site).
  const path = request.path.startsWith('/') && !request.path.startsWith('//') ? request.path : '/';
  return `${target.origin}${path}`;
}

/** Prefixes that are not pages (see above). */
const EXEMPT = ['/api', '/media', '/_store'];
