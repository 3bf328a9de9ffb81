import { describe, expect, it } from 'vitest';
import { judge, summary } from './lib.js';
import type { Row } from './lib.js';

const row = (extra: Partial<Row>): Row => ({
  benchmark: 'b',
  metric: 'm',
  unit: 'req/s',
  subject: 10,
  baseline: 20,
  ratio: 0.5,
  ...extra,
});

describe('judge', () => {
  it('reads ratio goals, subject goals and exact goals', () => {
    expect(judge(row({ goal: '>= 0.5' })).met).toBe(true);
    expect(judge(row({ goal: '>= 0.7' })).met).toBe(false);
    expect(judge(row({ goal: '<= 2', ratio: 2.5 })).met).toBe(false);
    expect(judge(row({ goal: 'subject < 200 MiB', subject: 150 })).met).toBe(true);
    expect(judge(row({ goal: 'subject <= 150 MiB', subject: 151 })).met).toBe(false);
    // `exactly` reads the ratio too: 261 likes counted of 261 expected is met, 260 of 261 is not.
    expect(judge(row({ goal: 'exactly 1', subject: 261, baseline: 261, ratio: 1 })).met).toBe(true);
    expect(judge(row({ goal: 'exactly 1', subject: 260, baseline: 261, ratio: 260 / 261 })).met).toBe(false);
    expect(judge(row({ goal: 'subject exactly 0', subject: 0, ratio: 0 })).met).toBe(true);
    expect(judge(row({ goal: '>= 0.5', ratio: Number.NaN })).met).toBe(false);
  });

  it('gives every row a goal: the older `target`, else `report` with no verdict', () => {
    const legacy = judge(row({ target: '>= 0.8', ratio: 0.9 }));
    expect(legacy).toMatchObject({ goal: '>= 0.8', met: true });
    expect(legacy).not.toHaveProperty('target');
    const plain = judge(row({}));
    expect(plain.goal).toBe('report');
    expect(plain).not.toHaveProperty('met');
  });

  it('summarises only rows with a verdict', () => {
    const text = summary([judge(row({ goal: '>= 0.5' })), judge(row({ goal: '>= 0.9' })), judge(row({}))]);
    expect(text).toContain('Goals met: 1 of 2');
    expect(text).toContain('| >= 0.9 | b | m | ratio 0.5 | NO |');
  });
});
