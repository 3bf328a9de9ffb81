import { fail } from '@sveltejs/kit';
import type { RequestEvent } from '@sveltejs/kit';
import { requireAdmin } from './guard.server';
import { SubtitleList, SubtitleRefusal } from './subtitles';
import type { SubtitleEntry, SubtitleOutcome } from './subtitles';
import { api, ApiError } from '$lib/server/api';
import { readForm } from '$lib/server/form';

const subtitlesPath = (videoId: string, language?: string) =>
  `/api/media/videos/${encodeURIComponent(videoId)}/subtitles${language ? `/${encodeURIComponent(language)}` : ''}`;

/** The video's subtitle languages; none when the media service cannot say. */
export async function loadSubtitles(event: Pick<RequestEvent, 'locals'>, videoId: string): Promise<SubtitleEntry[]> {
  try {
    return (await api(event, subtitlesPath(videoId), { schema: SubtitleList })).items;
  } catch {
    return [];
  }
}

type ActionEvent = RequestEvent<{ id: string }>;

/** A refusal of the media service as the page shows it: its problems by line, or its message. */
function refusal(caught: ApiError, language: string) {
  const parsed = SubtitleRefusal.safeParse(caught.details);
  const outcome: SubtitleOutcome = parsed.success
    ? { language, issues: parsed.data.issues, total: parsed.data.total ?? parsed.data.issues.length }
    : { language, issues: [], total: 0, message: caught.message };
  return fail(caught.status, { subtitle: outcome });
}

/**
 * The subtitle form actions of the video's admin page: `subtitleUpload` sends the chosen file to
 * `PUT /api/media/videos/:id/subtitles/:language` as is (the service decodes and checks it),
 * `subtitleRemove` deletes one language.
 */
export const subtitleActions = {
  subtitleUpload: async (event: ActionEvent) => {
    requireAdmin(event);
    const form = await readForm(event.request);
    const language = String(form.get('language') ?? '');
    const file = form.get('file');
    if (!(file instanceof File) || file.size === 0) {
      const outcome: SubtitleOutcome = { language, issues: [{ code: 'no_file', message: 'choose a file' }], total: 1 };
      return fail(400, { subtitle: outcome });
    }
    try {
      const answer = (await api(event, subtitlesPath(event.params.id, language), {
        method: 'PUT',
        raw: { bytes: new Uint8Array(await file.arrayBuffer()), contentType: 'application/octet-stream' },
        timeoutMs: 30_000,
      })) as { language: string; cueCount: number; replaced: boolean };
      const outcome: SubtitleOutcome = {
        done: answer.replaced ? 'replaced' : 'added',
        language: answer.language,
        cueCount: answer.cueCount,
      };
      return { subtitle: outcome };
    } catch (caught) {
      if (!(caught instanceof ApiError)) throw caught;
      return refusal(caught, language);
    }
  },

  subtitleRemove: async (event: ActionEvent) => {
    requireAdmin(event);
    const language = String((await readForm(event.request)).get('language') ?? '');
    try {
      await api(event, subtitlesPath(event.params.id, language), { method: 'DELETE' });
      const outcome: SubtitleOutcome = { done: 'removed', language };
      return { subtitle: outcome };
    } catch (caught) {
      if (!(caught instanceof ApiError)) throw caught;
      return refusal(caught, language);
    }
  },
};
