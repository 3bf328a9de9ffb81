/**
 * What a person typed before the page came alive. Svelte's hydration sets each field back to the
 * value the server rendered (an input's `value=`, a textarea's text), so someone who starts typing
 * while a slow phone is still loading the page's scripts would see their words vanish.
 *
 * `watchTyped` runs from the client `init` hook, before hydration: it notes the fields already
 * typed into and every field typed into while the page hydrates. `restoreTyped` runs when the root
 * layout mounts, after every component has hydrated: it puts the typed text back and sends an
 * `input` event, so the page's own state (bindings, handlers) hears it as if typed now.
 */

type TextField = HTMLInputElement | HTMLTextAreaElement;

/** Input types whose value is typed text (not a file, a box to tick, a hidden value or a button). */
const TYPED = new Set(['text', 'search', 'email', 'password', 'tel', 'url', 'number']);

let typed: Map<TextField, string> | null = null;
let unwatch: (() => void) | null = null;

function isTextField(target: EventTarget | null): target is TextField {
  if (target instanceof HTMLTextAreaElement) return true;
  return target instanceof HTMLInputElement && TYPED.has(target.type);
}

export function watchTyped(root: Document = document): void {
  const found = new Map<TextField, string>();
  for (const field of root.querySelectorAll('input, textarea')) {
    if (isTextField(field) && field.value !== field.defaultValue) found.set(field, field.value);
  }
  const note = (event: Event) => {
    if (event.isTrusted && isTextField(event.target)) found.set(event.target, event.target.value);
  };
  root.addEventListener('input', note, true);
  typed = found;
  unwatch = () => root.removeEventListener('input', note, true);
}

/** Puts back what hydration overwrote; returns how many fields it restored. */
export function restoreTyped(): number {
  unwatch?.();
  const fields = typed ?? new Map<TextField, string>();
  typed = null;
  unwatch = null;
  let restored = 0;
  for (const [field, value] of fields) {
    if (!field.isConnected || field.value === value) continue;
    field.value = value;
    field.dispatchEvent(new Event('input', { bubbles: true }));
    restored += 1;
  }
  return restored;
}
