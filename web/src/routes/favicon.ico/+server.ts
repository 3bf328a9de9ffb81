import type { RequestHandler } from './$types';

/**
 * Browsers ask for `/favicon.ico` on their own wherever a response names no icon (JSON, media,
 * the issuer's pages); the site's icon is an SVG, so point them at it instead of answering 404.
 */
export const GET: RequestHandler = () =>
  new Response(null, {
    status: 308,
    headers: { location: '/favicon.svg', 'cache-control': 'public, max-age=86400' },
  });
