import { describe, expect, it } from 'vitest';
import { PurchaseIntent } from './intent';

describe('PurchaseIntent', () => {
  it('keeps a plan or one title, and nothing else', () => {
    expect(PurchaseIntent.parse({ kind: 'subscription' })).toEqual({ kind: 'subscription' });
    expect(PurchaseIntent.parse({ kind: 'rental', videoId: 'v1a2', extra: 'dropped' })).toEqual({
      kind: 'rental',
      videoId: 'v1a2',
    });
  });

  it('refuses a title id that is not one (paths, other hosts, markup)', () => {
    for (const videoId of ['', '../admin', '//evil.example', '<script>', 'V1', 'a'.repeat(65)]) {
      expect(PurchaseIntent.safeParse({ kind: 'rental', videoId }).success, videoId).toBe(false);
    }
    expect(PurchaseIntent.safeParse({ kind: 'refund' }).success).toBe(false);
    expect(PurchaseIntent.safeParse({ kind: 'rental' }).success).toBe(false);
  });
});
