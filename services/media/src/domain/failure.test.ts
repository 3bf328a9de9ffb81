import { describe, expect, it } from 'vitest';
import { readableFailure } from './failure.js';

describe('readableFailure', () => {
  it('passes a rejection reason through', () => {
    expect(readableFailure({ Error: 'MediaRejected', Cause: 'the file has only audio' })).toBe(
      'the file has only audio',
    );
  });
  it('reads the message out of a Lambda error cause', () => {
    const cause = JSON.stringify({ errorType: 'MediaRejected', errorMessage: 'the video lasts 0.0 s', trace: [] });
    expect(readableFailure({ Error: 'MediaRejected', Cause: cause })).toBe('the video lasts 0.0 s');
  });
  it('explains a timeout and an unknown error', () => {
    expect(readableFailure({ Error: 'States.Timeout', Cause: '' })).toMatch(/took too long/);
    expect(readableFailure({ Error: 'Error', Cause: 'disk full' })).toBe('processing failed: disk full');
  });
});
