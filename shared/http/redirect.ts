/**
 * The one parser of redirect targets that arrive from outside (`returnTo` on sign-in and sign-up,
 * the language switch, checkout's way back, post-logout): only a path of this site survives.
 *
 * The raw value is refused outright when it holds anything a browser would silently drop or
 * reinterpret before following it — ASCII control characters (Chromium strips tab and newline, so
 * `/\t/evil.example` becomes `//evil.example`), any whitespace, backslashes (read as `/`) — or when
 * it does not start with exactly one `/`. What is left is parsed by the WHATWG URL parser against
 * the public origin and re-serialised from the parse, so the Location header carries only ASCII and
 * says exactly what the browser will read. Anything else becomes `/`; it never throws.
 */
export function safeRedirectPath(raw: unknown, publicOrigin: string): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_LENGTH) return '/';
  if (UNSAFE.test(raw)) return '/';
  if (!raw.startsWith('/') || raw.startsWith('//')) return '/';
  let base: URL;
  let url: URL;
  try {
    base = new URL(publicOrigin);
    url = new URL(raw, base);
  } catch {
    return '/';
  }
  if (url.origin !== base.origin) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  // The parser may normalise `/./x` or `/a/../` away; a result that now starts with `//` would be
  // read as another host on the way back in.
  if (!path.startsWith('/') || path.startsWith('//')) return '/';
  return path;
}

const MAX_LENGTH = 2048;

/** C0 controls, DEL, C1 controls, backslash and every Unicode space or line separator. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\\\s\u2028\u2029\u180e\u200b-\u200d\u2060\ufeff]/u;
