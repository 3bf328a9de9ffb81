import { describe, expect, test } from 'vitest';
import { UploadApiError } from './ports';
import { proxiedUploadApi } from './proxied-api';

interface Call {
  url: string;
  method: string;
  body: unknown;
}

function fakeFetch(answer: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const call = {
      url: String(input),
      method: init?.method ?? 'GET',
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(call);
    return answer(call);
  }) as typeof fetch;
  return { calls, fetcher };
}

describe('proxiedUploadApi', () => {
  test('speaks the catalog upload routes through the admin proxy', async () => {
    const started = { uploadId: 'u1', partSize: 8, partCount: 1, parts: [{ partNumber: 1, url: 'https://s/1' }] };
    const { calls, fetcher } = fakeFetch(({ method }) =>
      method === 'POST' && calls.length === 1
        ? Response.json(started)
        : method === 'GET'
          ? Response.json({ uploadId: 'u1', parts: [], missing: [] })
          : new Response(null, { status: 204 }),
    );
    const api = proxiedUploadApi('v 1', '/admin/api', fetcher);
    expect(await api.start(8, 'video/mp4')).toEqual(started);
    await api.resume('u/1');
    await api.complete('u1', [{ partNumber: 1, etag: '"e"' }]);
    await api.abort('u1');
    const root = '/admin/api/catalog/videos/v%201/upload';
    expect(calls).toEqual([
      { url: root, method: 'POST', body: { size: 8, contentType: 'video/mp4' } },
      { url: `${root}?uploadId=u%2F1`, method: 'GET', body: undefined },
      { url: `${root}/complete`, method: 'POST', body: { uploadId: 'u1', parts: [{ partNumber: 1, etag: '"e"' }] } },
      { url: `${root}?uploadId=u1`, method: 'DELETE', body: undefined },
    ]);
  });

  test('turns the API’s error body, or a dropped connection, into UploadApiError', async () => {
    const refusing = fakeFetch(() =>
      Response.json({ error: { code: 'invalid_input', message: 'not a video' } }, { status: 400 }),
    );
    await expect(proxiedUploadApi('v1', '/admin/api', refusing.fetcher).start(1, 'text/plain')).rejects.toMatchObject({
      name: 'UploadApiError',
      status: 400,
      code: 'invalid_input',
      message: 'not a video',
    });
    const offline = fakeFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    const error = await proxiedUploadApi('v1', '/admin/api', offline.fetcher)
      .resume('u1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadApiError);
    expect(error).toMatchObject({ status: 0, code: 'unavailable' });
  });
});
