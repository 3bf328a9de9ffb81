import type { PartTransport } from './ports';

/** PUT through XMLHttpRequest: fetch cannot report upload progress. The ETag header must be exposed (CORS). */
export const xhrTransport: PartTransport = {
  put(url, body, onProgress, signal) {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const xhr = new XMLHttpRequest();
      xhr.open('PUT', url);
      xhr.upload.onprogress = (event) => onProgress(event.loaded);
      xhr.onload = () => {
        const etag = xhr.getResponseHeader('ETag');
        if (xhr.status >= 200 && xhr.status < 300 && etag) resolve(etag);
        else reject(new Error(`part refused (${xhr.status})`));
      };
      xhr.onerror = () => reject(new Error('the connection dropped'));
      xhr.ontimeout = () => reject(new Error('the part timed out'));
      xhr.onabort = () => reject(signal.reason ?? new DOMException('aborted', 'AbortError'));
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(body);
    });
  },
};
