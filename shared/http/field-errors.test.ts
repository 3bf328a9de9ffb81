import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../log.js';
import { readJson, serviceApp } from './app.js';
import { typedText } from '../text.js';
import { fieldErrorsOf, FieldErrorCode } from './field-errors.js';

const Video = z
  .object({
    title: z.string().trim().min(1, 'a title is required').max(200),
    description: z.string().max(5),
    cast: z.array(z.string().min(1).max(4)).max(2),
    priceJpy: z.number().int().nonnegative().max(100_000),
    kind: z.enum(['rental', 'subscription']),
    email: z.email().optional(),
    code: z
      .string()
      .refine((value) => value.startsWith('K'), { message: 'starts with K', params: { code: 'bad_format' } })
      .optional(),
  })
  .strict();

const codes = (input: unknown) => {
  const result = Video.safeParse(input);
  if (result.success) return [];
  return fieldErrorsOf(result.error, input).map(({ path, code, limit }) => ({ path, code, limit }));
};

const valid = { title: 'Tokyo Story', description: '', cast: [], priceJpy: 400, kind: 'rental' };

describe('fieldErrorsOf', () => {
  it('tells a missing field from one of the wrong type', () => {
    expect(codes({ ...valid, title: undefined, priceJpy: 'four hundred' })).toEqual([
      { path: 'title', code: 'required', limit: undefined },
      { path: 'priceJpy', code: 'not_a_number', limit: undefined },
    ]);
    expect(codes({ ...valid, description: 7 })).toEqual([
      { path: 'description', code: 'wrong_type', limit: undefined },
    ]);
    expect(codes({ ...valid, kind: null })).toEqual([{ path: 'kind', code: 'required', limit: undefined }]);
  });

  it('reads an empty text where one character is needed as required, longer minimums as too_short', () => {
    expect(codes({ ...valid, title: '   ' })).toEqual([{ path: 'title', code: 'required', limit: undefined }]);
    const Short = z.object({ password: z.string().min(8) });
    const result = Short.safeParse({ password: 'abc' });
    expect(result.success ? [] : fieldErrorsOf(result.error, { password: 'abc' })).toMatchObject([
      { path: 'password', code: 'too_short', limit: 8 },
    ]);
  });

  it('names the bound of text, list and number sizes', () => {
    expect(
      codes({ ...valid, title: 'x'.repeat(201), description: 'too long', cast: ['a', 'b', 'c'], priceJpy: -1 }),
    ).toEqual([
      { path: 'title', code: 'too_long', limit: 200 },
      { path: 'description', code: 'too_long', limit: 5 },
      { path: 'cast', code: 'too_many', limit: 2 },
      { path: 'priceJpy', code: 'too_small', limit: 0 },
    ]);
    expect(codes({ ...valid, priceJpy: 100_001 })).toEqual([{ path: 'priceJpy', code: 'too_large', limit: 100_000 }]);
  });

  it('points into lists by index', () => {
    expect(codes({ ...valid, cast: ['ok', 'much too long'] })).toEqual([
      { path: 'cast.1', code: 'too_long', limit: 4 },
    ]);
  });

  it('codes fractions, formats, choices, unknown keys and named refinements', () => {
    expect(codes({ ...valid, priceJpy: 1.5 })).toEqual([{ path: 'priceJpy', code: 'not_integer', limit: undefined }]);
    expect(codes({ ...valid, email: 'nope' })).toEqual([{ path: 'email', code: 'bad_format', limit: undefined }]);
    expect(codes({ ...valid, kind: 'gift' })).toEqual([{ path: 'kind', code: 'not_allowed', limit: undefined }]);
    expect(codes({ ...valid, extra: 1, other: 2 })).toEqual([
      { path: 'extra', code: 'unknown_field', limit: undefined },
      { path: 'other', code: 'unknown_field', limit: undefined },
    ]);
    expect(codes({ ...valid, code: 'X1' })).toEqual([{ path: 'code', code: 'bad_format', limit: undefined }]);
  });

  it('reads the codes typedText names for its own checks', () => {
    const Text = z.object({ name: typedText({ max: 5, min: 1 }), note: typedText({ max: 10, min: 3 }) });
    const fields = (input: unknown) => {
      const result = Text.safeParse(input);
      return result.success
        ? []
        : fieldErrorsOf(result.error, input).map(({ path, code, limit }) => ({ path, code, limit }));
    };
    expect(fields({ name: '七文字のなまえ', note: 'ab' })).toEqual([
      { path: 'name', code: 'too_long', limit: 5 },
      { path: 'note', code: 'too_short', limit: 3 },
    ]);
    expect(fields({ name: '  ', note: 'a\u0007bc' })).toEqual([
      { path: 'name', code: 'required', limit: undefined },
      { path: 'note', code: 'bad_format', limit: undefined },
    ]);
  });

  it('keeps the schema author’s sentence as the message', () => {
    const result = Video.safeParse({ ...valid, title: '' });
    expect(result.success ? [] : fieldErrorsOf(result.error)).toEqual([
      { path: 'title', code: 'required', message: 'a title is required' },
    ]);
  });

  it('only ever answers a code from the published list', () => {
    const inputs = [{}, null, 'text', { ...valid, cast: 'x' }, { ...valid, priceJpy: Number.NaN }];
    for (const input of inputs) {
      for (const field of codes(input)) expect(FieldErrorCode.options).toContain(field.code);
    }
  });
});

describe('the 400 body', () => {
  const app = () => {
    const served = serviceApp({ logger: createLogger({ write: () => undefined }) });
    served.post('/videos', async (c) => c.json(await readJson(c, Video), 201));
    return served;
  };

  it('carries `fields` beside the older `details`', async () => {
    const res = await app().request('/videos', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...valid, title: '', priceJpy: 'x' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        code: 'invalid_input',
        message: 'title: a title is required; priceJpy: Invalid input: expected number, received string',
        details: [
          { path: 'title', message: 'a title is required' },
          { path: 'priceJpy', message: 'Invalid input: expected number, received string' },
        ],
        fields: [
          { path: 'title', code: 'required', message: 'a title is required' },
          { path: 'priceJpy', code: 'not_a_number', message: 'Invalid input: expected number, received string' },
        ],
      },
    });
  });

  it('has no `fields` on errors that are not about fields', async () => {
    const res = await app().request('/videos', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(await res.json()).toEqual({ error: { code: 'invalid_input', message: 'the body is not valid JSON' } });
  });
});
