import { api, ApiError } from '$lib/server/api';
import { SearchAnswer } from '$lib/search';
import type { PageServerLoad } from './$types';

const HITS_PER_PAGE = 12;

/**
 * `/search?q=…&cast=…&genre=…&page=…`, rendered on the server (shareable, works without
 * JavaScript). The API checks the parameters; a refused one is shown, never a server error.
 * Nothing found: the newest titles and the genres they carry are offered instead.
 */
export const load: PageServerLoad = async (event) => {
  const params = event.url.searchParams;
  const q = (params.get('q') ?? '').trim();
  const cast = params.getAll('cast');
  const genre = params.getAll('genre');
  const page = params.get('page') ?? '0';
  const query = new URLSearchParams({ q, page, hitsPerPage: String(HITS_PER_PAGE) });
  for (const value of cast) query.append('cast', value);
  for (const value of genre) query.append('genre', value);

  let result: SearchAnswer | null = null;
  let problem: string | null = null;
  try {
    result = await api(event, `/api/catalog/search?${query}`, { schema: SearchAnswer });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status >= 500) throw error;
    problem = error.message;
  }
  const suggestions =
    result && result.nbHits === 0
      ? await api(event, '/api/catalog/search?hitsPerPage=4', { schema: SearchAnswer }).catch(() => null)
      : null;
  return { q, cast, genre, result, problem, suggestions };
};
