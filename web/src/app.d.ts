import type { Locale } from '$lib/paraglide/runtime.js';
import type { Session, SessionUser } from '$lib/server/session';

declare global {
  namespace App {
    interface Locals {
      lang: Locale;
      user: SessionUser | null;
      /** Server-only: the tokens. Never returned from a load function. */
      session: Session | null;
    }
    interface PageState {
      /** Arrived from "up next": the title page starts playing at once (issue 15). */
      autoplay?: boolean;
    }
    interface Error {
      message: string;
      /** A machine reason the error page can localise, e.g. `forbidden`. */
      code?: 'forbidden' | 'not_found' | 'signin_failed' | 'signin_expired' | 'signin_unconfigured' | 'internal';
      /** `signin_expired`: where the fresh start returns to. */
      returnTo?: string;
    }
  }
}

export {};
