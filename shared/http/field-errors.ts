import { z } from 'zod';
import { AppError } from '../errors.js';

/**
 * What went wrong with one field, as a machine code a client translates (the web keys its
 * messages by it). Stable: clients rely on these names, zod's own issue codes may change.
 */
export const FieldErrorCode = z.enum([
  /** No value, or an empty text where one is needed. */
  'required',
  /** A value of the wrong kind (text where a number goes, …). */
  'wrong_type',
  /** Something other than a number where a number goes. */
  'not_a_number',
  /** A number with a fraction where a whole number goes. */
  'not_integer',
  /** Text shorter than `limit` characters. */
  'too_short',
  /** Text longer than `limit` characters. */
  'too_long',
  /** A number below `limit`. */
  'too_small',
  /** A number above `limit`. */
  'too_large',
  /** A list with fewer than `limit` items. */
  'too_few',
  /** A list with more than `limit` items. */
  'too_many',
  /** Text that does not have the expected form (an email address, an id, a URL…). */
  'bad_format',
  /** A value outside the allowed choices. */
  'not_allowed',
  /** A field the request may not carry. */
  'unknown_field',
  /** Anything else the schema refused. */
  'invalid',
]);
export type FieldErrorCode = z.infer<typeof FieldErrorCode>;

/** One field's problem: `path` is dotted (`cast.2` is the third cast member; `''` the whole body). */
export const FieldError = z
  .object({
    path: z.string(),
    code: FieldErrorCode,
    message: z.string(),
    /** The bound a size code refers to (characters, items or the number itself). */
    limit: z.number().optional(),
  })
  .meta({ id: 'FieldError', description: 'One field that failed its schema, with a machine code.' });
export type FieldError = z.infer<typeof FieldError>;

/** The value at `path` inside `input`, or undefined when any step is missing. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

const SIZE_CODES: Record<string, { small: FieldErrorCode; big: FieldErrorCode }> = {
  string: { small: 'too_short', big: 'too_long' },
  array: { small: 'too_few', big: 'too_many' },
  set: { small: 'too_few', big: 'too_many' },
  number: { small: 'too_small', big: 'too_large' },
  int: { small: 'too_small', big: 'too_large' },
  bigint: { small: 'too_small', big: 'too_large' },
};

function fieldOf(issue: z.core.$ZodIssue, input: unknown): Omit<FieldError, 'path' | 'message'> {
  const missing = () => {
    const value = valueAt(input, issue.path);
    return value === undefined || value === null;
  };
  switch (issue.code) {
    case 'invalid_type':
      if (missing()) return { code: 'required' };
      if (issue.expected === 'int' && typeof valueAt(input, issue.path) === 'number') return { code: 'not_integer' };
      if (issue.expected === 'number' || issue.expected === 'int') return { code: 'not_a_number' };
      return { code: 'wrong_type' };
    case 'too_small': {
      const minimum = Number(issue.minimum);
      // An empty text where at least one character goes reads as "missing", not "too short".
      if (issue.origin === 'string' && minimum <= 1) return { code: 'required' };
      const codes = SIZE_CODES[issue.origin];
      return codes ? { code: codes.small, limit: minimum } : { code: 'invalid' };
    }
    case 'too_big': {
      const codes = SIZE_CODES[issue.origin];
      return codes ? { code: codes.big, limit: Number(issue.maximum) } : { code: 'invalid' };
    }
    case 'invalid_format':
      return { code: 'bad_format' };
    case 'invalid_value':
    case 'invalid_union':
      return { code: missing() ? 'required' : 'not_allowed' };
    case 'unrecognized_keys':
      return { code: 'unknown_field' };
    case 'not_multiple_of':
      return { code: 'not_integer' };
    case 'custom': {
      // A refinement may name its own code (and bound): `.refine(fn, { params: { code, limit } })`.
      const named = FieldErrorCode.safeParse(issue.params?.['code']);
      const limit: unknown = issue.params?.['limit'];
      return {
        code: named.success ? named.data : 'invalid',
        ...(named.success && typeof limit === 'number' ? { limit } : {}),
      };
    }
    default:
      return { code: 'invalid' };
  }
}

/**
 * A zod failure as one entry per field problem. `input` is what was parsed: it tells a missing
 * value (`required`) from a wrong one. Unknown keys are reported per key, so each has its path.
 */
export function fieldErrorsOf(error: z.ZodError, input?: unknown): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: [...issue.path, key].join('.'),
        code: 'unknown_field',
        message: `unknown field "${key}"`,
      }));
    }
    return [{ path: issue.path.map(String).join('.'), message: issue.message, ...fieldOf(issue, input) }];
  });
}

/**
 * The contract's 400 `invalid_input` with the field problems: `details` keeps the older
 * `{path, message}` list (clients that read it keep working), `fields` adds each one's code.
 */
export class ValidationError extends AppError {
  readonly fields: readonly FieldError[];

  constructor(message: string, fields: readonly FieldError[]) {
    super(
      'invalid_input',
      message,
      fields.map(({ path, message }) => ({ path, message })),
    );
    this.name = 'ValidationError';
    this.fields = fields;
  }
}

/** A zod failure as the contract's 400: one `path: message` per issue in the message, then each field. */
export function validationError(error: z.ZodError, input?: unknown): ValidationError {
  const fields = fieldErrorsOf(error, input);
  const summary = fields.map((field) => (field.path ? `${field.path}: ${field.message}` : field.message)).join('; ');
  return new ValidationError(summary, fields);
}
