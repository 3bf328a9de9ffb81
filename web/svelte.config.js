import adapter from '@sveltejs/adapter-node';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  kit: {
    adapter: adapter({ out: 'build' }),
    alias: {
      // The kernel: web may read shared types and constants, never services/ or platform/.
      $shared: '../shared',
    },
  },
};

export default config;
