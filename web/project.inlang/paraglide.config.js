// Compiler options shared by the vite plugin (web/vite.config.ts) and `npm run i18n` (the CLI).
// The locale comes from the `lang` cookie that POST /lang sets (the local OpenID issuer reads the
// same cookie), else the base locale, ja. No URL prefixes: one URL per page in both languages.
/** @type {import('@inlang/paraglide-js').ParaglideConfig} */
export default {
  strategy: ['cookie', 'baseLocale'],
  cookieName: 'lang',
  cookieMaxAge: 365 * 24 * 3600,
  emitReadme: false,
};
