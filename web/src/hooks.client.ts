import type { ClientInit } from '@sveltejs/kit';
import { watchTyped } from '$lib/forms/typed-before-hydration';

/** Runs once in the browser, before the page hydrates. */
export const init: ClientInit = () => {
  watchTyped(document);
};
