import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import type { ServiceApp } from '#shared/http/app.js';
import { parseInput, rawBody } from '#shared/http/app.js';
import { adminOnly } from '#shared/http/auth.js';
import { bearer, errors, ok } from '#shared/http/openapi.js';
import { Id } from '#shared/ids.js';
import { MAX_SUBTITLE_BYTES } from './domain/subtitle-encoding.js';
import { SubtitleLanguage } from './domain/subtitle-language.js';
import type { Subtitles } from './subtitles.js';

const VideoParams = z.object({ id: Id });
const LanguageParams = z.object({
  id: Id,
  language: z
    .string()
    .min(2)
    .max(20)
    .meta({ description: 'BCP-47 language tag: ja, en, en-GB, zh-Hant…', example: 'ja' }),
});

/** The file as sent: any of these types (or none); the bytes decide (WEBVTT signature, encoding). */
const SUBTITLE_BODY_TYPES = ['text/vtt', 'application/x-subrip', 'text/plain', 'application/octet-stream'] as const;
const fileBody = {
  required: true,
  description: `A WebVTT or SRT file (UTF-8, UTF-8 with BOM or Shift_JIS), at most ${MAX_SUBTITLE_BYTES} bytes.`,
  content: Object.fromEntries(
    SUBTITLE_BODY_TYPES.map((type) => [type, { schema: z.string().meta({ format: 'binary' }) }]),
  ),
};
const refusal = errors('invalid_input')[400] as NonNullable<ReturnType<typeof errors>[number]>;
const REFUSAL =
  'the file was refused: `details.issues` lists each problem `{code, line?, otherLine?, message}` ' +
  '(codes: bad_header, bad_timestamp, bad_setting, missing_timing, end_before_start, out_of_order, overlap, no_cues, ' +
  'empty, too_large, not_text, unsupported_encoding), `details.total` how many were found';

/**
 * The subtitle routes (admin):
 *   GET    /videos/:id/subtitles            the languages published
 *   PUT    /videos/:id/subtitles/:language  add or replace one language (raw file body)
 *   DELETE /videos/:id/subtitles/:language  remove one language
 */
export function subtitleRoutes(app: ServiceApp, subtitles: () => Subtitles): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/videos/{id}/subtitles',
      summary: "A video's subtitle languages (admin)",
      security: bearer,
      middleware: [adminOnly],
      request: { params: VideoParams },
      responses: {
        200: ok('`{items: [{language, name, format, encoding, cueCount, bytes, revision, updatedAt}]}`'),
        ...errors('invalid_input', 'unauthorized', 'forbidden', 'unavailable'),
      },
    }),
    async (c) => {
      c.header('cache-control', 'no-store');
      return c.json({ items: await subtitles().list(c.req.valid('param').id) });
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/videos/{id}/subtitles/{language}',
      summary: 'Add or replace the subtitles of one language (admin)',
      description:
        'Checks the whole file first (per-line errors, nothing published on any problem), converts SRT to ' +
        'WebVTT and publishes it as an HLS subtitle rendition of the master; no re-transcode. A body over the ' +
        'limit is refused from its Content-Length before it is read.',
      security: bearer,
      middleware: [adminOnly, rawBody(MAX_SUBTITLE_BYTES)],
      request: { params: LanguageParams, body: fileBody },
      responses: {
        200: ok(
          'replaced: the language `{language, name, format, encoding, cueCount, bytes, revision, updatedAt, replaced: true}`',
        ),
        201: ok('added: the same shape, `replaced: false`'),
        ...errors(
          'unauthorized',
          'forbidden',
          'not_found',
          'payload_too_large',
          'unsupported_media_type',
          'unavailable',
        ),
        400: { ...refusal, description: REFUSAL },
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const language = parseInput(SubtitleLanguage, c.req.param('language'));
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const result = await subtitles().put(id, language, bytes);
      return c.json(result, result.replaced ? 200 : 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/videos/{id}/subtitles/{language}',
      summary: 'Remove the subtitles of one language (admin)',
      security: bearer,
      middleware: [adminOnly],
      request: { params: LanguageParams },
      responses: {
        204: ok('removed from the master'),
        ...errors('invalid_input', 'unauthorized', 'forbidden', 'not_found', 'unavailable'),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await subtitles().remove(id, parseInput(SubtitleLanguage, c.req.param('language')));
      return c.body(null, 204);
    },
  );
}
