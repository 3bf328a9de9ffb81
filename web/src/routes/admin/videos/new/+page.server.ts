import { fail, redirect } from '@sveltejs/kit';
import { requireAdmin } from '$lib/admin/guard.server';
import { emptyVideoForm, fieldErrors, readVideoForm, videoInput } from '$lib/admin/video-form.server';
import { api, ApiError, CatalogVideo } from '$lib/server/api';
import type { Actions, PageServerLoad } from './$types';
import { readForm } from '$lib/server/form';

export const load: PageServerLoad = () => ({ values: emptyVideoForm });

export const actions: Actions = {
  create: async (event) => {
    requireAdmin(event);
    const values = readVideoForm(await readForm(event.request));
    let videoId: string;
    try {
      const video = await api(event, '/api/catalog/videos', { json: videoInput(values), schema: CatalogVideo });
      videoId = video.videoId;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return fail(error.status === 400 ? 400 : error.status, { values, errors: fieldErrors(error) });
    }
    // On to the upload: the widget lives on the video's page.
    redirect(303, `/admin/videos/${videoId}`);
  },
};
