import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFinished, progressItem, ProgressReport, resumeAt } from './progress.js';

describe('a progress report', () => {
  it('refuses negative positions, positions beyond the duration and non-numbers', () => {
    const bad = [
      { positionSeconds: -1, durationSeconds: 100 },
      { positionSeconds: 100.5, durationSeconds: 100 },
      { positionSeconds: 10, durationSeconds: 0 },
      { positionSeconds: 10, durationSeconds: -5 },
      { positionSeconds: '10', durationSeconds: 100 },
      { positionSeconds: 10 },
      { positionSeconds: 10, durationSeconds: 100, extra: true },
      { positionSeconds: 10, durationSeconds: 25 * 3600 },
    ];
    for (const body of bad) expect(ProgressReport.safeParse(body).success, JSON.stringify(body)).toBe(false);
    expect(ProgressReport.parse({ positionSeconds: 100, durationSeconds: 100 })).toEqual({
      positionSeconds: 100,
      durationSeconds: 100,
    });
  });

  it('names the position when it is beyond the duration', () => {
    const issue = ProgressReport.safeParse({ positionSeconds: 101, durationSeconds: 100 }).error?.issues[0];
    expect(issue?.path).toEqual(['positionSeconds']);
  });
});

describe('finished', () => {
  it('is 95 % of any title, or the last two minutes of a long one', () => {
    expect(isFinished({ positionSeconds: 94, durationSeconds: 100 })).toBe(false);
    expect(isFinished({ positionSeconds: 95, durationSeconds: 100 })).toBe(true);
    // A 10-second clip is not finished two minutes before its end.
    expect(isFinished({ positionSeconds: 1, durationSeconds: 10 })).toBe(false);
    // A two-hour film: the credits count, 95 % (6 minutes left) too.
    expect(isFinished({ positionSeconds: 7200 - 121, durationSeconds: 7200 })).toBe(true);
    expect(isFinished({ positionSeconds: 7200 - 400, durationSeconds: 7200 })).toBe(false);
    // A 30-minute episode: two minutes before the end is finished, three is not.
    expect(isFinished({ positionSeconds: 1800 - 120, durationSeconds: 1800 })).toBe(true);
    expect(isFinished({ positionSeconds: 1800 - 180, durationSeconds: 1800 })).toBe(false);
  });

  it('is monotonic: a later position in the same title is never less finished', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 86_400, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (duration, a, b) => {
          const [early, late] = a <= b ? [a, b] : [b, a];
          const earlier = isFinished({ positionSeconds: early * duration, durationSeconds: duration });
          const later = isFinished({ positionSeconds: late * duration, durationSeconds: duration });
          return !earlier || later;
        },
      ),
    );
  });

  it('resumes where the viewer left, or from the start once finished', () => {
    expect(resumeAt(undefined)).toBe(0);
    expect(resumeAt({ positionSeconds: 42, finished: false })).toBe(42);
    expect(resumeAt({ positionSeconds: 99, finished: true })).toBe(0);
  });

  it('keeps unfinished titles in the sparse "continue watching" index, and finished ones out', () => {
    const at = Date.UTC(2030, 0, 1);
    const watching = progressItem('u1', 'v1', { positionSeconds: 10, durationSeconds: 100 }, at);
    expect(watching).toMatchObject({ gsi1pk: 'watching#u1', gsi1sk: '2030-01-01T00:00:00.000Z#v1', finished: false });
    const done = progressItem('u1', 'v1', { positionSeconds: 99, durationSeconds: 100 }, at);
    expect(done.finished).toBe(true);
    expect('gsi1pk' in done).toBe(false);
  });
});
