import { startSignIn } from '$lib/server/begin';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) => startSignIn(event, 'signin');
