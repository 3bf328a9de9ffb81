/**
 * The upload benchmark's server, in its own process (so its memory is its own): the local file
 * store behind the same HTTP listener the standalone server mounts at /_store, plus a small
 * control surface standing in for the catalog API (start → presigned part URLs, complete).
 * Prints `{"port": N}` on its first line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStore } from '#platform/local/file-store.js';
import { fileStoreListener } from '#platform/local/file-store-http.js';
import { peakRss } from '../lib.js';

const root = mkdtempSync(join(tmpdir(), 'kinema-bench-store-'));
const server = createServer();
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const store = fileStore({ root, publicUrl, secret: 'bench-secret-bench-secret-bench', now: Date.now });
const listener = fileStoreListener(store);
const key = 'sources/bench/source';

server.on('request', async (req, res) => {
  const url = new URL(req.url ?? '/', publicUrl);
  const reply = (body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  try {
    if (url.pathname === '/__bench/start') {
      const size = Number(url.searchParams.get('size'));
      const partSize = Number(url.searchParams.get('partSize'));
      const { uploadId } = await store.createMultipart(key, 'video/mp4');
      const count = Math.ceil(size / partSize);
      const parts = await Promise.all(
        Array.from({ length: count }, async (_, i) => ({
          partNumber: i + 1,
          url: await store.presignPart(key, uploadId, i + 1, 3600),
        })),
      );
      return reply({ uploadId, parts });
    }
    if (url.pathname === '/__bench/complete') {
      let text = '';
      for await (const chunk of req) text += chunk;
      const { uploadId, parts } = JSON.parse(text) as {
        uploadId: string;
        parts: { partNumber: number; etag: string }[];
      };
      const info = await store.completeMultipart(key, uploadId, parts);
      return reply({ size: info.size });
    }
    if (url.pathname === '/__bench/rss') {
      const cpu = process.cpuUsage();
      return reply({ peakRss: peakRss(), cpuMs: (cpu.user + cpu.system) / 1000, userMs: cpu.user / 1000 });
    }
    return listener(req, res);
  } catch (error) {
    res.writeHead(500);
    res.end(String(error));
  }
});

process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n');
process.on('SIGTERM', () => {
  server.close();
  rmSync(root, { recursive: true, force: true });
  process.exit(0);
});
