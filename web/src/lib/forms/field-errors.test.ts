import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldErrorsOf, FieldErrorCode } from '#shared/http/field-errors.js';
import { fieldAria, fieldMessage, formErrorMessage, problemsByField } from './field-errors';

const FORM = ['title', 'cast', 'priceJpy'] as const;

describe('problemsByField', () => {
  it('keeps the first problem of each form field and the item of a list entry', () => {
    const { byField, rest } = problemsByField(
      [
        { path: 'title', code: 'required', message: 'a title is required' },
        { path: 'title', code: 'too_long', message: 'too long', limit: 200 },
        { path: 'cast.2', code: 'too_long', message: 'too long', limit: 100 },
        { path: 'priceJpy', code: 'not_integer', message: 'expected int' },
        { path: 'extra', code: 'unknown_field', message: 'unknown field "extra"' },
      ],
      FORM,
    );
    expect(byField).toEqual({
      title: { code: 'required' },
      cast: { code: 'too_long', limit: 100, item: 3 },
      priceJpy: { code: 'not_integer' },
    });
    expect(rest).toEqual([{ code: 'unknown_field' }]);
  });

  it('treats an answer without fields (an older API, another error) as no field problems', () => {
    expect(problemsByField(undefined, FORM)).toEqual({ byField: {}, rest: [] });
    expect(problemsByField([{ path: 'title', message: 'no code' }], FORM)).toEqual({ byField: {}, rest: [] });
  });

  it('reads what the API sends for a real zod failure', () => {
    const Video = z.object({ title: z.string().min(1), cast: z.array(z.string().max(3)), priceJpy: z.number() });
    const input = { title: '', cast: ['ok', 'much too long'], priceJpy: 'abc' };
    const result = Video.safeParse(input);
    const fields = result.success ? [] : fieldErrorsOf(result.error, input);
    const { byField } = problemsByField(JSON.parse(JSON.stringify(fields)), FORM);
    expect(fieldMessage(byField.title!, 'ja')).toBe('入力してください');
    expect(fieldMessage(byField.cast!, 'ja')).toBe('2 件目: 3 文字以内で入力してください');
    expect(fieldMessage(byField.cast!, 'en')).toBe('Item 2: Use at most 3 characters.');
    expect(fieldMessage(byField.priceJpy!, 'en')).toBe('Enter a number.');
  });
});

describe('fieldMessage', () => {
  it('has a sentence for every code in both languages, never the API’s English', () => {
    for (const code of FieldErrorCode.options) {
      const ja = fieldMessage({ code, limit: 8 }, 'ja');
      const en = fieldMessage({ code, limit: 8 }, 'en');
      expect(ja, code).not.toBe('');
      expect(en, code).not.toBe('');
      expect(ja, code).not.toBe(en);
      expect(ja, code).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
      if (code.startsWith('too_')) {
        expect(ja, code).toContain('8');
        expect(en, code).toContain('8');
      }
    }
  });

  it('says form-level failures by code, with a fallback for codes it does not know', () => {
    expect(formErrorMessage('unavailable', 'ja')).toContain('接続');
    expect(formErrorMessage('conflict', 'en')).toContain('Reload');
    expect(formErrorMessage('something_new', 'en')).toBe(formErrorMessage('internal', 'en'));
  });
});

describe('fieldAria', () => {
  it('points at the hint, and at the error only while there is a problem', () => {
    expect(fieldAria('new-password', undefined, 'new-password-hint')).toEqual({
      'aria-invalid': undefined,
      'aria-describedby': 'new-password-hint',
    });
    expect(fieldAria('new-password', 'too short', 'new-password-hint')).toEqual({
      'aria-invalid': 'true',
      'aria-describedby': 'new-password-hint new-password-error',
    });
    expect(fieldAria('video-title', { code: 'required' })).toEqual({
      'aria-invalid': 'true',
      'aria-describedby': 'video-title-error',
    });
    expect(fieldAria('video-title', undefined)).toEqual({ 'aria-invalid': undefined, 'aria-describedby': undefined });
  });
});
