import adapter from '@sveltejs/adapter-node';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  kit: {
    adapter: adapter({ out: 'build' }),
    // The origin check on form posts is done in hooks.server.ts against KINEMA_PUBLIC_URL: Kit's own
    // compares with the request URL, which behind a proxy (or without ORIGIN set) is not the public one.
    csrf: { trustedOrigins: ['*'] },
    alias: {
      // The kernel, under the name the rest of the repository imports it by (package.json
      // "imports"): web may read shared types and constants, never services/ or platform/.
      '#shared': '../shared',
    },
  },
};

export default config;
