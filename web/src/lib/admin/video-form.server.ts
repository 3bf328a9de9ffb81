import { problemsByField } from '$lib/forms/field-errors';
import type { FieldProblems } from '$lib/forms/field-errors';
import type { ApiError } from '$lib/server/api';

/** The form's fields as typed, sent back on a failed submit so nothing the admin wrote is lost. */
export interface VideoFormValues {
  title: string;
  description: string;
  cast: string;
  genres: string;
  priceJpy: string;
  freePreview: boolean;
}

export type VideoFormField = keyof VideoFormValues;

/**
 * What a refused save says: each field's problem by machine code (the form translates it), and
 * the API's error code when something other than a field is to blame.
 */
export interface FieldErrors {
  fields: FieldProblems<VideoFormField>;
  form?: string;
}

export const emptyVideoForm: VideoFormValues = {
  title: '',
  description: '',
  cast: '',
  genres: '',
  priceJpy: '0',
  freePreview: false,
};

/** Names separated by commas (ASCII or Japanese 、，) or new lines; blanks dropped. */
export const splitList = (text: string) =>
  text
    .split(/[,\n、，]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

export function readVideoForm(data: FormData): VideoFormValues {
  const text = (name: string) => {
    const value = data.get(name);
    return typeof value === 'string' ? value : '';
  };
  return {
    title: text('title'),
    description: text('description'),
    cast: text('cast'),
    genres: text('genres'),
    priceJpy: text('priceJpy'),
    freePreview: data.get('freePreview') === 'on',
  };
}

/**
 * The API's input for the values. The API is the one judge of what is valid (its messages come
 * back per field); only the price's text is turned into a number here, and a text that is not a
 * number is passed as-is so the API names the problem.
 */
export function videoInput(values: VideoFormValues) {
  const price = values.priceJpy.trim().replace(/[,，_]/g, '');
  return {
    title: values.title,
    description: values.description,
    cast: splitList(values.cast),
    genres: splitList(values.genres),
    priceJpy: /^-?\d+(\.\d+)?$/.test(price) ? Number(price) : price,
    freePreview: values.freePreview,
  };
}

const FIELDS: readonly VideoFormField[] = ['title', 'description', 'cast', 'genres', 'priceJpy', 'freePreview'];

/** The API's refusal as the form shows it: per field (`cast.3` belongs to `cast`), else form-level. */
export function fieldErrors(error: ApiError): FieldErrors {
  const { byField, rest } = problemsByField(error.fields, FIELDS);
  const found = Object.keys(byField).length > 0;
  return found && rest.length === 0 ? { fields: byField } : { fields: byField, form: error.code };
}

export const formValuesOf = (video: {
  title: string;
  description: string;
  cast: string[];
  genres: string[];
  priceJpy: number;
  freePreview: boolean;
}): VideoFormValues => ({
  title: video.title,
  description: video.description,
  cast: video.cast.join(', '),
  genres: video.genres.join(', '),
  priceJpy: String(video.priceJpy),
  freePreview: video.freePreview,
});
