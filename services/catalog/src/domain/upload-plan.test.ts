import { describe, expect, it } from 'vitest';
import { MULTIPART } from '#shared/ports/object-store.js';
import { planParts } from './upload-plan.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('planParts', () => {
  it('uses 8 MiB parts for ordinary files', () => {
    expect(planParts(200 * MiB, 50 * GiB)).toEqual({ partSize: 8 * MiB, partCount: 25 });
    expect(planParts(1, 50 * GiB)).toEqual({ partSize: 8 * MiB, partCount: 1 });
  });

  it('grows parts so that no upload needs more than 10,000', () => {
    const plan = planParts(200 * GiB, 5000 * GiB);
    expect(plan.partCount).toBeLessThanOrEqual(MULTIPART.maxParts);
    expect(plan.partSize % MiB).toBe(0);
    expect(plan.partSize * plan.partCount).toBeGreaterThanOrEqual(200 * GiB);
  });

  it('refuses empty files and files above the configured maximum', () => {
    expect(() => planParts(0, GiB)).toThrow(/empty/);
    expect(() => planParts(2 * GiB, GiB)).toThrow(/largest upload allowed is 1 GiB/);
  });
});
