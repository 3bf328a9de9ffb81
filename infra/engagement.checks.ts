import { describe, expect, it } from 'vitest';
import type { StackExpectations } from './buckets.checks.js';
import type { MockedProgram } from './test-support.js';

/** Policy tests of infra/engagement.ts: the engagement Lambda knows where its region's entitlement answers. */
export function engagementChecks(program: () => MockedProgram, stack: StackExpectations) {
  describe(`engagement (${stack.region}): positions ask entitlement`, () => {
    it('points the engagement Lambda at this region’s entitlement API, keeping the realtime wiring', () => {
      const { variables } = program().named('aws:lambda/function:Function', 'engagement-fn').inputs.environment as {
        variables: Record<string, unknown>;
      };
      expect(variables.ENTITLEMENT_API_URL).toBe(
        `https://abc123.execute-api.${stack.region}.amazonaws.com/api/entitlement`,
      );
      expect(variables.APPSYNC_HTTP_DOMAIN).toEqual(expect.any(String));
    });
  });
}
