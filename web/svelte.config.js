import adapter from '@sveltejs/adapter-node';

/**
 * Where forms may send the browser, beyond this origin: the identity provider (sign-out posts
 * there on AWS: Auth0) and Stripe's hosted checkout (the Rent form redirects there). Read at build
 * time from the same variables the edge build reads; standalone both live on this origin.
 */
const formTargets = [process.env.KINEMA_OIDC_ISSUER, 'https://checkout.stripe.com']
  .filter(Boolean)
  .map((value) => new URL(value).origin);

/** @type {import('@sveltejs/kit').Config} */
const config = {
  kit: {
    adapter: adapter({ out: 'build' }),
    // The origin check on form posts is done in hooks.server.ts against KINEMA_PUBLIC_URL: Kit's own
    // compares with the request URL, which behind a proxy (or without ORIGIN set) is not the public one.
    csrf: { trustedOrigins: ['*'] },
    // Every page carries a Content-Security-Policy; Kit adds a fresh nonce per response to
    // script-src for its own inline bootstrap, so an injected inline script never runs.
    // style-src keeps 'unsafe-inline': media-chrome's shadow DOM and Svelte's style attributes need
    // it (and with it Kit adds no style nonce, which browsers would let override it).
    // media-src/worker-src blob: are hls.js's MediaSource and its worker; connect-src gains the
    // AppSync Events hosts at run time (hooks.server.ts). docs/security.md lists the whole policy.
    csp: {
      mode: 'nonce',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:', 'blob:'],
        'media-src': ['self', 'blob:'],
        'worker-src': ['self', 'blob:'],
        'font-src': ['self'],
        // S3's presigned upload parts on AWS (bucket.s3.<region>.amazonaws.com; the admin's upload).
        'connect-src': ['self', 'https://*.amazonaws.com'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'frame-ancestors': ['none'],
        'form-action': ['self', ...formTargets],
      },
    },
    alias: {
      // The kernel, under the name the rest of the repository imports it by (package.json
      // "imports"): web may read shared types and constants, never services/ or platform/.
      '#shared': '../shared',
    },
  },
};

export default config;
