import { describe, expect, it } from 'vitest';
import { isRevoked, revokeSession } from './revoked';

describe('revoked sessions', () => {
  it('refuses a signed-out access token until it would have expired', () => {
    revokeSession('token-a', 1_000, 900);
    expect(isRevoked('token-a', 950)).toBe(true);
    expect(isRevoked('token-b', 950)).toBe(false);
    expect(isRevoked('token-a', 1_001)).toBe(false);
  });

  it('forgets expired entries as new ones arrive', () => {
    revokeSession('old', 10, 5);
    revokeSession('new', 2_000, 1_500);
    expect(isRevoked('old', 6)).toBe(false);
    expect(isRevoked('new', 1_600)).toBe(true);
  });
});
