import { z } from 'zod';
import { VideoCreated, VideoDeleted, VideoPublished, VideoUnpublished, VideoUpdated } from '#shared/events/catalog.js';
import { readJson, parseInput, serviceApp } from '#shared/http/app.js';
import { authenticate, requireRole } from '#shared/http/auth.js';
import { Id, newId } from '#shared/ids.js';
import type { Logger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { ObjectStore } from '#shared/ports/object-store.js';
import type { Table } from '#shared/ports/table.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import { notFound } from '#shared/errors.js';
import { assertPublishable, newVideo, videoFacts, VideoInput, VideoPatch } from './domain/video.js';
import type { Video } from './domain/video.js';
import { catalogStore } from './store.js';
import { createSearchApp, type SearchHttpDeps } from './search-http.js';
import { CompleteUpload, StartUpload, uploads } from './uploads.js';

export interface CatalogDeps {
  table: Table;
  /** The uploads bucket: sources arrive here through presigned part URLs. */
  objects: ObjectStore;
  verifier: TokenVerifier;
  clock: Clock;
  logger?: Logger;
  limits?: { maxUploadBytes?: number; maxJsonBytes?: number; partUrlTtlSeconds?: number };
  /** Free-word search (GET /search); not mounted without an index. */
  search?: SearchHttpDeps;
}

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(24),
  cursor: z.string().max(1024).optional(),
});
const ResumeQuery = z.object({ uploadId: z.string().min(1).max(1024) });

/** The public view of a video: viewers never see upload internals. */
function publicVideo(video: Video) {
  const { upload: _upload, sourceKey: _sourceKey, failureReason: _failure, ...rest } = video;
  return rest;
}

export function createCatalogApp(deps: CatalogDeps) {
  const store = catalogStore(deps.table);
  const maxJson = deps.limits?.maxJsonBytes ?? 64 * 1024;
  const flow = uploads({
    store,
    objects: deps.objects,
    clock: deps.clock,
    maxUploadBytes: deps.limits?.maxUploadBytes ?? 50 * 1024 ** 3,
    partUrlTtlSeconds: deps.limits?.partUrlTtlSeconds ?? 6 * 3600,
  });
  const app = serviceApp(deps.logger ? { logger: deps.logger } : {});
  app.use(authenticate(deps.verifier));
  const videoId = (raw: string) => parseInput(Id, raw);
  if (deps.search) app.route('/', createSearchApp(deps.search));
  const isAdmin = (principal: { roles: string[] } | undefined) => principal?.roles.includes('admin') ?? false;

  app.get('/videos', async (c) => {
    const query = parseInput(ListQuery, c.req.query());
    const admin = isAdmin(c.get('principal'));
    const page = await store.list({
      publishedOnly: !admin,
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    return c.json({
      items: page.items.map((video) => (admin ? video : publicVideo(video))),
      nextCursor: page.nextCursor,
    });
  });

  app.post('/videos', async (c) => {
    requireRole(c.get('principal'), 'admin');
    const input = await readJson(c, VideoInput, maxJson);
    const now = deps.clock.now();
    const video = newVideo(newId(now), input, now);
    await store.create(video, [VideoCreated.create(videoFacts(video), now)]);
    return c.json(video, 201);
  });

  app.get('/videos/:id', async (c) => {
    const video = await store.find(videoId(c.req.param('id')));
    if (!video) throw notFound('video');
    if (isAdmin(c.get('principal'))) return c.json(video);
    if (!video.published) throw notFound('video');
    return c.json(publicVideo(video));
  });

  app.patch('/videos/:id', async (c) => {
    requireRole(c.get('principal'), 'admin');
    const patch = await readJson(c, VideoPatch, maxJson);
    const video = await store.get(videoId(c.req.param('id')));
    const now = deps.clock.now();
    const next: Video = { ...video, ...patch, updatedAt: new Date(now).toISOString() };
    await store.save(video, next, [VideoUpdated.create(videoFacts(next), now)]);
    return c.json(next);
  });

  app.delete('/videos/:id', async (c) => {
    requireRole(c.get('principal'), 'admin');
    const video = await store.get(videoId(c.req.param('id')));
    const now = deps.clock.now();
    await store.remove(video, [VideoDeleted.create({ videoId: video.videoId }, now)]);
    await flow.discardSource(video);
    return c.body(null, 204);
  });

  app.post('/videos/:id/publish', async (c) => {
    requireRole(c.get('principal'), 'admin');
    const video = await store.get(videoId(c.req.param('id')));
    assertPublishable(video);
    if (video.published) return c.json(video);
    const now = deps.clock.now();
    const at = new Date(now).toISOString();
    const next: Video = { ...video, published: true, publishedAt: at, updatedAt: at };
    await store.save(video, next, [VideoPublished.create(videoFacts(next), now)]);
    return c.json(next);
  });

  app.post('/videos/:id/unpublish', async (c) => {
    requireRole(c.get('principal'), 'admin');
    const video = await store.get(videoId(c.req.param('id')));
    if (!video.published) return c.json(video);
    const now = deps.clock.now();
    const next: Video = { ...video, published: false, publishedAt: null, updatedAt: new Date(now).toISOString() };
    await store.save(video, next, [VideoUnpublished.create({ videoId: video.videoId }, now)]);
    return c.json(next);
  });

  app.post('/videos/:id/upload', async (c) => {
    requireRole(c.get('principal'), 'admin');
    const request = await readJson(c, StartUpload, maxJson);
    return c.json(await flow.start(videoId(c.req.param('id')), request), 201);
  });

  app.get('/videos/:id/upload', async (c) => {
    requireRole(c.get('principal'), 'admin');
    const { uploadId } = parseInput(ResumeQuery, c.req.query());
    return c.json(await flow.resume(videoId(c.req.param('id')), uploadId));
  });

  app.post('/videos/:id/upload/complete', async (c) => {
    requireRole(c.get('principal'), 'admin');
    const request = await readJson(c, CompleteUpload, maxJson);
    return c.json(await flow.complete(videoId(c.req.param('id')), request), 202);
  });

  app.delete('/videos/:id/upload', async (c) => {
    requireRole(c.get('principal'), 'admin');
    const { uploadId } = parseInput(ResumeQuery, c.req.query());
    await flow.abort(videoId(c.req.param('id')), uploadId);
    return c.body(null, 204);
  });

  return app;
}
