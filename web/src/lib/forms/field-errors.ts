import { z } from 'zod';
import { FieldError, FieldErrorCode } from '#shared/http/field-errors.js';
// Relative, not `$lib/…`: the unit tests run this file outside SvelteKit.
import { m } from '../paraglide/messages.js';
import type { Locale } from '../paraglide/runtime.js';

/**
 * The API's field problems (`error.fields` of a 400 `invalid_input`) as a form shows them: one
 * problem per form field, in the page's language, keyed by the machine code (never the API's
 * English sentence). Forms keep the codes (they survive a language switch) and translate when
 * they render.
 */

/** One field's problem as a form keeps it: the code, its bound, and which list item (1-based). */
export interface FieldProblem {
  code: FieldErrorCode;
  limit?: number;
  item?: number;
}

export type FieldProblems<F extends string> = Partial<Record<F, FieldProblem>>;

const Fields = z.array(FieldError);

/**
 * The first problem of each form field in `fields` (an API path `cast.2` belongs to `cast`, item
 * 3). Problems with paths outside the form are returned as `rest` (a form-level notice).
 */
export function problemsByField<F extends string>(
  apiFields: unknown,
  formFields: readonly F[],
): { byField: FieldProblems<F>; rest: FieldProblem[] } {
  const byField: FieldProblems<F> = {};
  const rest: FieldProblem[] = [];
  for (const field of Fields.safeParse(apiFields).data ?? []) {
    const [head = '', index] = field.path.split('.');
    const problem: FieldProblem = {
      code: field.code,
      ...(field.limit === undefined ? {} : { limit: field.limit }),
      ...(index !== undefined && /^\d+$/.test(index) ? { item: Number(index) + 1 } : {}),
    };
    if ((formFields as readonly string[]).includes(head)) byField[head as F] ??= problem;
    else rest.push(problem);
  }
  return { byField, rest };
}

/** A field problem as a sentence in the current language. */
export function fieldMessage(problem: FieldProblem, locale?: Locale): string {
  const limit = String(problem.limit ?? '');
  const options = locale === undefined ? {} : { locale };
  const text = (() => {
    switch (problem.code) {
      case 'required':
        return m.field_error_required({}, options);
      case 'wrong_type':
        return m.field_error_wrong_type({}, options);
      case 'not_a_number':
        return m.field_error_not_a_number({}, options);
      case 'not_integer':
        return m.field_error_not_integer({}, options);
      case 'too_short':
        return m.field_error_too_short({ limit }, options);
      case 'too_long':
        return m.field_error_too_long({ limit }, options);
      case 'too_small':
        return m.field_error_too_small({ limit }, options);
      case 'too_large':
        return m.field_error_too_large({ limit }, options);
      case 'too_few':
        return m.field_error_too_few({ limit }, options);
      case 'too_many':
        return m.field_error_too_many({ limit }, options);
      case 'bad_format':
        return m.field_error_bad_format({}, options);
      case 'not_allowed':
        return m.field_error_not_allowed({}, options);
      case 'unknown_field':
        return m.field_error_unknown_field({}, options);
      case 'invalid':
        return m.field_error_invalid({}, options);
    }
  })();
  return problem.item === undefined ? text : m.field_error_item({ item: String(problem.item), message: text }, options);
}

/** A form-level failure (not about one field) by the API's error code, in the current language. */
export function formErrorMessage(code: string, locale?: Locale): string {
  const options = locale === undefined ? {} : { locale };
  switch (code) {
    case 'unavailable':
    case 'bad_gateway':
      return m.form_error_unavailable({}, options);
    case 'unauthorized':
    case 'forbidden':
      return m.form_error_forbidden({}, options);
    case 'not_found':
      return m.form_error_not_found({}, options);
    case 'conflict':
      return m.form_error_conflict({}, options);
    default:
      return m.form_error_generic({}, options);
  }
}

/**
 * A field's `aria-invalid` and `aria-describedby`: its hint (when it has one) and then its error,
 * which a form renders with the id `<id>-error` while there is a problem. Every form spreads these
 * on the control, so a screen reader hears the same things in the same order everywhere.
 */
export function fieldAria(
  id: string,
  problem: unknown,
  hint?: string,
): { 'aria-invalid': 'true' | undefined; 'aria-describedby': string | undefined } {
  const error = problem ? `${id}-error` : undefined;
  return {
    'aria-invalid': problem ? 'true' : undefined,
    'aria-describedby': [hint, error].filter(Boolean).join(' ') || undefined,
  };
}
