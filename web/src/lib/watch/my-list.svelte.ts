import { getContext, setContext } from 'svelte';
import { SvelteSet } from 'svelte/reactivity';

const KEY = Symbol('kinema:my-list');

/**
 * The signed-in viewer's list on one page: every card and the title page read it, so adding a
 * title in one row shows at once in every other. Made per page (context, never module state:
 * the server renders many viewers' pages in one process).
 */
export class MyList {
  readonly ids: SvelteSet<string>;
  /** Titles whose change is on its way (their buttons are busy). */
  readonly pending = new SvelteSet<string>();

  constructor(initial: readonly string[]) {
    this.ids = new SvelteSet(initial);
  }

  has(videoId: string): boolean {
    return this.ids.has(videoId);
  }

  /** Adds or removes; optimistic, rolled back when the API refuses. True when it took effect. */
  async toggle(videoId: string): Promise<boolean> {
    if (this.pending.has(videoId)) return false;
    const add = !this.ids.has(videoId);
    if (add) this.ids.add(videoId);
    else this.ids.delete(videoId);
    this.pending.add(videoId);
    try {
      const response = await fetch(`/videos/${encodeURIComponent(videoId)}/list`, {
        method: add ? 'PUT' : 'DELETE',
        headers: { accept: 'application/json' },
      });
      if (!response.ok) throw new Error(`my list answered ${response.status}`);
      return true;
    } catch {
      if (add) this.ids.delete(videoId);
      else this.ids.add(videoId);
      return false;
    } finally {
      this.pending.delete(videoId);
    }
  }
}

/** Makes the page's list (null for visitors, or when engagement could not answer: no buttons then). */
export function provideMyList(initial: readonly string[] | null): MyList | null {
  const list = initial ? new MyList(initial) : null;
  setContext(KEY, list);
  return list;
}

export function useMyList(): MyList | null {
  return getContext<MyList | null | undefined>(KEY) ?? null;
}
