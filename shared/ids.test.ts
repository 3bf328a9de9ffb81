import { describe, expect, it } from 'vitest';
import { Id, newId } from './ids.js';

describe('ids', () => {
  it('are time ordered and parse as ids', () => {
    const a = newId(1_000);
    const b = newId(2_000);
    expect(a < b).toBe(true);
    expect(Id.parse(a)).toBe(a);
    expect(a).toHaveLength(26);
  });

  it('refuse anything that could escape a key or a path', () => {
    for (const bad of ['../etc', 'a/b', 'A', '', 'x'.repeat(65), 'a#b', 'a.b', '..']) {
      expect(Id.safeParse(bad).success, bad).toBe(false);
    }
  });
});
