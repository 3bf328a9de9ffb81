import { z } from 'zod';
import { VideoCreated, VideoDeleted, VideoPublished, VideoUnpublished, VideoUpdated } from '#shared/events/catalog.js';
import { createRoute } from '@hono/zod-openapi';
import { serviceApp } from '#shared/http/app.js';
import { adminOnly, authenticate } from '#shared/http/auth.js';
import { bearer, errors, JSON_BODY_ERRORS, jsonRequest, ok } from '#shared/http/openapi.js';
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
import { CompleteUpload, StartUpload, uploads } from './uploads.js';

export interface CatalogDeps {
  table: Table;
  /** The uploads bucket: sources arrive here through presigned part URLs. */
  objects: ObjectStore;
  verifier: TokenVerifier;
  clock: Clock;
  logger?: Logger;
  limits?: { maxUploadBytes?: number; maxJsonBytes?: number; partUrlTtlSeconds?: number };
}

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(24),
  cursor: z.string().max(1024).optional(),
});
const ResumeQuery = z.object({ uploadId: z.string().min(1).max(1024) });
const VideoParams = z.object({ id: Id });

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
  const app = serviceApp({
    title: 'Kinema catalog',
    maxJsonBytes: maxJson,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  app.use(authenticate(deps.verifier));
  const isAdmin = (principal: { roles: string[] } | undefined) => principal?.roles.includes('admin') ?? false;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/videos',
      summary: 'List videos, newest first (viewers see published videos only)',
      security: bearer,
      request: { query: ListQuery },
      responses: { 200: ok('`{items, nextCursor}`'), ...errors('invalid_input', 'unauthorized') },
    }),
    async (c) => {
      const query = c.req.valid('query');
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
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/videos',
      summary: 'Create a draft video (admin)',
      security: bearer,
      middleware: [adminOnly],
      request: { body: jsonRequest(VideoInput) },
      responses: { 201: ok('the new video'), ...errors(...JSON_BODY_ERRORS, 'unauthorized', 'forbidden') },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const now = deps.clock.now();
      const video = newVideo(newId(now), input, now);
      await store.create(video, [VideoCreated.create(videoFacts(video), now)]);
      return c.json(video, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/videos/{id}',
      summary: 'One video (viewers: published only; admins also see upload details)',
      security: bearer,
      request: { params: VideoParams },
      responses: { 200: ok('the video'), ...errors('invalid_input', 'unauthorized', 'not_found') },
    }),
    async (c) => {
      const video = await store.find(c.req.valid('param').id);
      if (!video) throw notFound('video');
      if (isAdmin(c.get('principal'))) return c.json(video);
      if (!video.published) throw notFound('video');
      return c.json(publicVideo(video));
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/videos/{id}',
      summary: 'Change a video (admin)',
      security: bearer,
      middleware: [adminOnly],
      request: { params: VideoParams, body: jsonRequest(VideoPatch) },
      responses: {
        200: ok('the changed video'),
        ...errors(...JSON_BODY_ERRORS, 'unauthorized', 'forbidden', 'not_found', 'conflict'),
      },
    }),
    async (c) => {
      const patch = c.req.valid('json');
      const video = await store.get(c.req.valid('param').id);
      const now = deps.clock.now();
      const next: Video = { ...video, ...patch, updatedAt: new Date(now).toISOString() };
      await store.save(video, next, [VideoUpdated.create(videoFacts(next), now)]);
      return c.json(next);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/videos/{id}',
      summary: 'Delete a video and its source (admin)',
      security: bearer,
      middleware: [adminOnly],
      request: { params: VideoParams },
      responses: { 204: ok('deleted'), ...errors('invalid_input', 'unauthorized', 'forbidden', 'not_found') },
    }),
    async (c) => {
      const video = await store.get(c.req.valid('param').id);
      const now = deps.clock.now();
      await store.remove(video, [VideoDeleted.create({ videoId: video.videoId }, now)]);
      await flow.discardSource(video);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/videos/{id}/publish',
      summary: 'Publish a video once its media is ready (admin)',
      security: bearer,
      middleware: [adminOnly],
      request: { params: VideoParams },
      responses: {
        200: ok('the published video'),
        ...errors('invalid_input', 'unauthorized', 'forbidden', 'not_found', 'conflict'),
      },
    }),
    async (c) => {
      const video = await store.get(c.req.valid('param').id);
      assertPublishable(video);
      if (video.published) return c.json(video);
      const now = deps.clock.now();
      const at = new Date(now).toISOString();
      const next: Video = { ...video, published: true, publishedAt: at, updatedAt: at };
      await store.save(video, next, [VideoPublished.create(videoFacts(next), now)]);
      return c.json(next);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/videos/{id}/unpublish',
      summary: 'Withdraw a published video (admin)',
      security: bearer,
      middleware: [adminOnly],
      request: { params: VideoParams },
      responses: { 200: ok('the video'), ...errors('invalid_input', 'unauthorized', 'forbidden', 'not_found') },
    }),
    async (c) => {
      const video = await store.get(c.req.valid('param').id);
      if (!video.published) return c.json(video);
      const now = deps.clock.now();
      const next: Video = { ...video, published: false, publishedAt: null, updatedAt: new Date(now).toISOString() };
      await store.save(video, next, [VideoUnpublished.create({ videoId: video.videoId }, now)]);
      return c.json(next);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/videos/{id}/upload',
      summary: 'Start a multipart upload of the source MP4 (admin)',
      description: 'Answers `{uploadId, partSize, parts: [{partNumber, url}]}`: PUT each part to its URL.',
      security: bearer,
      middleware: [adminOnly],
      request: { params: VideoParams, body: jsonRequest(StartUpload) },
      responses: {
        201: ok('the upload plan with presigned part URLs'),
        ...errors(...JSON_BODY_ERRORS, 'unauthorized', 'forbidden', 'not_found', 'conflict'),
      },
    }),
    async (c) => c.json(await flow.start(c.req.valid('param').id, c.req.valid('json')), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/videos/{id}/upload',
      summary: 'The parts of an upload already received, to resume it (admin)',
      security: bearer,
      middleware: [adminOnly],
      request: { params: VideoParams, query: ResumeQuery },
      responses: {
        200: ok('the parts received and fresh URLs for the rest'),
        ...errors('invalid_input', 'unauthorized', 'forbidden', 'not_found', 'conflict'),
      },
    }),
    async (c) => c.json(await flow.resume(c.req.valid('param').id, c.req.valid('query').uploadId)),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/videos/{id}/upload/complete',
      summary: 'Complete an upload; the media pipeline starts (admin)',
      security: bearer,
      middleware: [adminOnly],
      request: { params: VideoParams, body: jsonRequest(CompleteUpload) },
      responses: {
        202: ok('accepted: the source is checked and handed to the media pipeline'),
        ...errors(...JSON_BODY_ERRORS, 'unauthorized', 'forbidden', 'not_found', 'conflict'),
      },
    }),
    async (c) => c.json(await flow.complete(c.req.valid('param').id, c.req.valid('json')), 202),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/videos/{id}/upload',
      summary: 'Abort an upload (admin)',
      security: bearer,
      middleware: [adminOnly],
      request: { params: VideoParams, query: ResumeQuery },
      responses: { 204: ok('aborted'), ...errors('invalid_input', 'unauthorized', 'forbidden', 'not_found') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await flow.abort(id, c.req.valid('query').uploadId);
      return c.body(null, 204);
    },
  );

  return app;
}
