import { request } from 'node:http';
import { isIPv4 } from 'node:net';

/**
 * A `fetch` whose connections leave from another loopback address (127.0.0.2, …), so a test can
 * play a second client — a stranger — against a server that tells clients apart by address.
 * Plain HTTP only; redirects are never followed (tests follow them by hand).
 */
export function fetchFrom(localAddress: string): typeof fetch {
  return async (input, init = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const headers = new Headers(init.headers);
    const body = init.body === undefined || init.body === null ? undefined : String(init.body);
    if (body !== undefined && !headers.has('content-length'))
      headers.set('content-length', String(Buffer.byteLength(body)));
    return new Promise<Response>((resolve, reject) => {
      const outgoing = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: init.method ?? 'GET',
          headers: Object.fromEntries(headers),
          localAddress,
          // `localhost` may resolve to ::1 first; connect in the family of the source address.
          family: isIPv4(localAddress) ? 4 : 6,
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(incoming.headers)) {
              for (const one of Array.isArray(value) ? value : [value ?? '']) responseHeaders.append(name, one);
            }
            const status = incoming.statusCode ?? 500;
            const nullBody = [204, 304].includes(status) || (status >= 300 && status < 400 && chunks.length === 0);
            resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  };
}
