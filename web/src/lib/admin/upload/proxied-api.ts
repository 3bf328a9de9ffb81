import { UploadApiError } from './ports';
import type { UploadApi } from './ports';

const ErrorShape = (body: unknown): { code?: string; message?: string } => {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error = (body as { error: unknown }).error;
    if (typeof error === 'object' && error !== null) return error as { code?: string; message?: string };
  }
  return {};
};

/** The upload routes through the web's admin proxy (`/admin/api/<path under /api/>`), which adds the session's bearer. */
export function proxiedUploadApi(videoId: string, base = '/admin/api', fetcher: typeof fetch = fetch): UploadApi {
  const root = `${base}/catalog/videos/${encodeURIComponent(videoId)}/upload`;
  const call = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    let response: Response;
    try {
      response = await fetcher(path, {
        ...init,
        headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
      });
    } catch (error) {
      throw new UploadApiError(0, error instanceof Error ? error.message : 'the connection dropped', 'unavailable');
    }
    const body: unknown = response.status === 204 ? undefined : await response.json().catch(() => undefined);
    if (!response.ok) {
      const problem = ErrorShape(body);
      throw new UploadApiError(
        response.status,
        problem.message ?? `the server answered ${response.status}`,
        problem.code ?? 'internal',
      );
    }
    return body as T;
  };
  const query = (uploadId: string) => `?uploadId=${encodeURIComponent(uploadId)}`;
  return {
    start: (size, contentType) => call(root, { method: 'POST', body: JSON.stringify({ size, contentType }) }),
    resume: (uploadId) => call(root + query(uploadId)),
    complete: async (uploadId, parts) => {
      await call(`${root}/complete`, { method: 'POST', body: JSON.stringify({ uploadId, parts }) });
    },
    abort: async (uploadId) => {
      await call(root + query(uploadId), { method: 'DELETE' });
    },
  };
}
