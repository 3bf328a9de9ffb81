import { error, fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { requireAdmin } from '$lib/admin/guard.server';
import { fieldErrors, formValuesOf, readVideoForm, videoInput } from '$lib/admin/video-form.server';
import { api, ApiError, CatalogVideo, MediaStatus } from '$lib/server/api';
import type { Actions, PageServerLoad } from './$types';
import { readForm } from '$lib/server/form';
import { loadSubtitles, subtitleActions } from '$lib/admin/subtitles.server';

const videoPath = (id: string) => `/api/catalog/videos/${encodeURIComponent(id)}`;

export const load: PageServerLoad = async (event) => {
  await event.parent();
  const id = event.params.id;
  let video: CatalogVideo;
  try {
    video = await api(event, videoPath(id), { schema: CatalogVideo });
  } catch (caught) {
    if (caught instanceof ApiError && (caught.status === 404 || caught.status === 400)) {
      error(404, { message: 'video not found', code: 'not_found' });
    }
    throw caught;
  }
  const media =
    video.status === 'draft' || video.status === 'uploading'
      ? null
      : await api(event, `/api/media/videos/${encodeURIComponent(id)}`, { schema: MediaStatus }).catch(() => null);
  const subtitles = media ? await loadSubtitles(event, id) : null;

  const stills =
    video.status === 'ready'
      ? await api(event, `/api/media/videos/${encodeURIComponent(id)}/stills`, { schema: Stills }).catch(() => null)
      : null;
  return { video, values: formValuesOf(video), media, subtitles, stills };
};

/** `GET /api/media/videos/{id}/stills` (admin): the poster's candidates as short-lived links. */
const Stills = z.object({
  posterFrom: z.number().int().nullable(),
  automatic: z.string(),
  thumbnails: z.array(z.object({ index: z.number().int(), url: z.string() })),
});
const PosterChoice = z.object({ from: z.union([z.literal('auto'), z.coerce.number().int().min(0).max(99)]) });

/** A simple POST to the API from an action; its refusal comes back as the page's `form.message`. */
async function post(event: Parameters<Actions[string]>[0], path: string) {
  requireAdmin(event);
  try {
    await api(event, path, { method: 'POST' });
    return { done: true };
  } catch (caught) {
    if (!(caught instanceof ApiError)) throw caught;
    return fail(caught.status, { message: caught.message });
  }
}

export const actions: Actions = {
  save: async (event) => {
    requireAdmin(event);
    const values = readVideoForm(await readForm(event.request));
    try {
      await api(event, videoPath(event.params.id), { method: 'PATCH', json: videoInput(values) });
    } catch (caught) {
      if (!(caught instanceof ApiError)) throw caught;
      return fail(caught.status, { values, errors: fieldErrors(caught) });
    }
    return { saved: true, values };
  },
  delete: async (event) => {
    requireAdmin(event);
    const form = await readForm(event.request);
    if (form.get('confirm') !== 'yes') return fail(400, { message: 'confirm the deletion first' });
    try {
      await api(event, videoPath(event.params.id), { method: 'DELETE' });
    } catch (caught) {
      if (!(caught instanceof ApiError)) throw caught;
      if (caught.status !== 404) return fail(caught.status, { message: caught.message });
    }
    redirect(303, '/admin');
  },
  publish: (event) => post(event, `${videoPath(event.params.id)}/publish`),
  unpublish: (event) => post(event, `${videoPath(event.params.id)}/unpublish`),
  retry: (event) => post(event, `/api/media/videos/${encodeURIComponent(event.params.id)}/retry`),
  ...subtitleActions,
  /** The poster picker: a thumbnail's index or `auto`. */
  poster: async (event) => {
    requireAdmin(event);
    const choice = PosterChoice.safeParse(Object.fromEntries(await readForm(event.request)));
    if (!choice.success) return fail(400, { poster: 'failed' as const });
    try {
      await api(event, `/api/media/videos/${encodeURIComponent(event.params.id)}/poster`, {
        method: 'PUT',
        json: { from: choice.data.from },
      });
      return { poster: 'saved' as const };
    } catch (caught) {
      if (!(caught instanceof ApiError)) throw caught;
      return fail(caught.status, { poster: 'failed' as const });
    }
  },
};
