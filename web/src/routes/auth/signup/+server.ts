import { startSignIn } from '$lib/server/begin';
import type { RequestHandler } from './$types';

/** The same flow as sign-in; the issuer opens on its sign-up form (`screen_hint=signup`). */
export const GET: RequestHandler = (event) => startSignIn(event, 'signup');
