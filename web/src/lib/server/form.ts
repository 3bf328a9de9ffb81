import { error } from '@sveltejs/kit';

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data'];

/**
 * Reads a form post's fields, or answers 415 when the body is not a form (a missing or other
 * Content-Type made `request.formData()` throw, which SvelteKit answered 500) and 400 when a
 * declared form does not parse.
 */
export async function readForm(request: Request): Promise<FormData> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!FORM_TYPES.includes(type))
    error(415, 'send the form as application/x-www-form-urlencoded or multipart/form-data');
  try {
    return await request.formData();
  } catch {
    error(400, 'the form could not be read');
  }
}
