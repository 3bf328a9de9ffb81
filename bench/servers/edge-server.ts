/**
 * The media-edge benchmark's servers, one per process: `edge` is Kinema's media edge (signed
 * cookies checked, the segment read from the local file store) mounted as the standalone server
 * mounts it (a Hono app at /media behind @hono/node-server); `bare` is a plain node:http server
 * that stats the same file and pipes `createReadStream` into the response. Both serve one 1080p
 * segment's worth of bytes. Prints `{"port", "path", "cookie"}` on its first line.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { cloudFrontCookieSigner } from '#protocol/cloudfront-cookies.js';
import { serviceApp } from '#shared/http/app.js';
import { fileStore } from '#platform/local/file-store.js';
import { mediaEdge } from '#platform/local/media-edge.js';

const kind = process.argv[2] === 'bare' ? 'bare' : 'edge';
/** A 6 s segment of the 1080p rung at its 6 Mbit/s target. */
const SEGMENT_BYTES = Number(process.env.BENCH_SEGMENT_BYTES ?? (6_000_000 / 8) * 6);
const VIDEO = 'bench0000000000000000000001';

const root = mkdtempSync(join(tmpdir(), 'kinema-bench-edge-'));
const server = createServer();
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const port = (server.address() as AddressInfo).port;
const publicUrl = `http://127.0.0.1:${port}`;
const store = fileStore({ root, publicUrl, secret: 'bench-secret-bench-secret-bench', now: Date.now });
const key = `media/videos/${VIDEO}/hls/1920x1080/segment_00001.m4s`;
await store.put(key, randomBytes(SEGMENT_BYTES), { contentType: 'video/iso.segment' });
const path = `/media/videos/${VIDEO}/hls/1920x1080/segment_00001.m4s`;

let cookie = '';
if (kind === 'edge') {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signer = cloudFrontCookieSigner({
    keyPairId: 'KBENCH',
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  const signed = signer.sign(`${publicUrl}/media/videos/${VIDEO}/hls/*`, Math.floor(Date.now() / 1000) + 3600);
  cookie = Object.entries(signed)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
  const api = serviceApp({});
  api.route(
    '/media',
    mediaEdge({
      objects: store,
      publicKeys: { KBENCH: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      publicUrl,
      allowedOrigin: publicUrl,
      now: Date.now,
    }),
  );
  server.on('request', getRequestListener(api.fetch));
} else {
  const file = join(root, 'objects', ...key.split('/'));
  server.on('request', (req, res) => {
    stat(file).then(
      ({ size }) => {
        res.writeHead(200, { 'Content-Type': 'video/iso.segment', 'Content-Length': String(size) });
        createReadStream(file).pipe(res);
      },
      () => {
        res.writeHead(404);
        res.end();
      },
    );
  });
}

process.stdout.write(JSON.stringify({ port, path, cookie }) + '\n');
process.on('SIGTERM', () => {
  server.close();
  rmSync(root, { recursive: true, force: true });
  process.exit(0);
});
