import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { AppError, ConditionFailedError, notFound } from '#shared/errors.js';
import type { ServiceApp } from '#shared/http/app.js';
import { adminOnly } from '#shared/http/auth.js';
import { bearer, errors, JSON_BODY_ERRORS, jsonRequest } from '#shared/http/openapi.js';
import { Id } from '#shared/ids.js';
import type { ObjectStore } from '#shared/ports/object-store.js';
import { mediaKeys } from './domain/media-video.js';
import type { MediaVideo } from './domain/media-video.js';
import type { MediaStore } from './store.js';

const VideoParams = z.object({ id: Id });
const PosterBody = z
  .object({
    /** A thumbnail's index, or `"auto"` for the poster the pipeline took. */
    from: z.union([z.number().int().min(0).max(99), z.literal('auto')]),
  })
  .strict();

/** How long the admin's preview links stay valid. */
const PREVIEW_TTL_S = 15 * 60;
const RETRIES = 5;

/**
 * The admin's poster picker: the stills the pipeline made (the poster and the thumbnails, all at
 * the poster's size) as short-lived links, and the choice of one as the poster. Choosing copies
 * that still onto `poster.jpg`, the public object every page and the CDN read, after keeping the
 * pipeline's own poster aside once (`poster-auto.jpg`) so "automatic" can come back. Pages see the
 * new poster when the poster's cache runs out (5 minutes).
 */
export function posterRoutes(app: ServiceApp, deps: { store: MediaStore; media?: ObjectStore }) {
  const objects = () => {
    if (!deps.media) throw new AppError('unavailable', 'the media store is not configured here');
    return deps.media;
  };
  const ready = async (videoId: string) => {
    const found = await deps.store.find(videoId);
    if (!found) throw notFound(`video ${videoId}`);
    if (found.video.state !== 'ready' || !found.video.posterKey) {
      throw new AppError('conflict', 'the video has no stills until its media is ready', { reason: 'not_ready' });
    }
    return found;
  };
  const view = async (video: MediaVideo) => {
    const media = objects();
    const keys = mediaKeys(video.videoId);
    const automatic = (await media.head(keys.automaticPoster)) ? keys.automaticPoster : keys.poster;
    return {
      posterFrom: video.posterFrom,
      automatic: await media.presignGet(video.posterFrom === null ? keys.poster : automatic, PREVIEW_TTL_S),
      thumbnails: await Promise.all(
        video.thumbnailKeys.map(async (key, index) => ({ index, url: await media.presignGet(key, PREVIEW_TTL_S) })),
      ),
    };
  };
  const copy = async (from: string, to: string) => {
    const media = objects();
    const source = await media.get(from);
    if (!source) throw new Error(`the still ${from} is missing`);
    await media.put(to, source.body, { contentType: 'image/jpeg' });
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/videos/{id}/stills',
      summary: "A ready video's poster candidates, as short-lived links (admin)",
      security: bearer,
      middleware: [adminOnly],
      request: { params: VideoParams },
      responses: {
        200: { description: '`{posterFrom, automatic, thumbnails: [{index, url}]}`' },
        ...errors('invalid_input', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'unavailable'),
      },
    }),
    async (c) => {
      const { video } = await ready(c.req.valid('param').id);
      c.header('cache-control', 'no-store');
      return c.json(await view(video), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/videos/{id}/poster',
      summary: 'Make one of the thumbnails the poster, or go back to the automatic one (admin)',
      security: bearer,
      middleware: [adminOnly],
      request: { params: VideoParams, body: jsonRequest(PosterBody, '`{"from": 2}` or `{"from": "auto"}`') },
      responses: {
        200: { description: 'the stills after the change' },
        ...errors(...JSON_BODY_ERRORS, 'unauthorized', 'forbidden', 'not_found', 'conflict', 'unavailable'),
      },
    }),
    async (c) => {
      const videoId = c.req.valid('param').id;
      const { from } = c.req.valid('json');
      const keys = mediaKeys(videoId);
      for (let attempt = 0; attempt < RETRIES; attempt++) {
        const found = await ready(videoId);
        const { video } = found;
        const chosen = from === 'auto' ? null : from;
        if (chosen !== null && chosen >= video.thumbnailKeys.length) {
          throw new AppError('invalid_input', `there are ${video.thumbnailKeys.length} thumbnails`, {
            reason: 'no_such_thumbnail',
          });
        }
        const media = objects();
        // Keep the pipeline's poster before the first overwrite: "automatic" must be able to come back.
        if (!(await media.head(keys.automaticPoster))) await copy(keys.poster, keys.automaticPoster);
        await copy(chosen === null ? keys.automaticPoster : video.thumbnailKeys[chosen]!, keys.poster);
        try {
          const saved = await deps.store.save(found, {
            ...video,
            posterFrom: chosen,
            updatedAt: new Date().toISOString(),
          });
          return c.json(await view(saved.video), 200);
        } catch (error) {
          // Another admin chose meanwhile: read again and apply this choice on top.
          if (!(error instanceof ConditionFailedError)) throw error;
        }
      }
      throw new AppError('conflict', 'the video kept changing; try again');
    },
  );
}
