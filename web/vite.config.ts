import { fileURLToPath } from 'node:url';
import { paraglideVitePlugin } from '@inlang/paraglide-js';
import { defineConfig } from 'vite';

// `vite build web` runs from the repository root, but SvelteKit resolves svelte.config.js, src/,
// .svelte-kit/ and the vite root from the process's working directory, read once when its plugin
// module loads (adapter-node reads package.json there too). So move into web/ first, then load it.
process.chdir(fileURLToPath(new URL('.', import.meta.url)));
const { sveltekit } = await import('@sveltejs/kit/vite');

export default defineConfig({
  plugins: [
    // Compiles messages/*.json into src/lib/paraglide (git-ignored); the strategy and cookie name
    // are in project.inlang/paraglide.config.js, shared with `npm run i18n`.
    paraglideVitePlugin({ project: './project.inlang', outdir: './src/lib/paraglide' }),
    sveltekit(),
  ],
  server: { fs: { allow: ['../shared'] } },
  // LayerCake ships .svelte files; the root package.json lists it, which vite-plugin-svelte (reading
  // web/) does not see, so compile it into the server build rather than leave it external.
  ssr: { noExternal: ['layercake'] },
});
