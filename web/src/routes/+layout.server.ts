import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = ({ locals }) => ({
  lang: locals.lang,
  // Only who the person is: the tokens stay on the server.
  user: locals.user ? { email: locals.user.email ?? null, roles: locals.user.roles } : null,
});
