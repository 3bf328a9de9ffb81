import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config.js';

/**
 * The global pieces the primary stack owns and exports, and the standby reads through a stack
 * reference (`kinema:primaryStack`): the names are the primary's `index.ts` exports, and the
 * infra tests hold that the primary exports every one of them.
 */
export const PRIMARY_EXPORTS = ['siteDistributionArn', 'playbackKeyPairId', 'planSyncClientId'] as const;
export type PrimaryExport = (typeof PRIMARY_EXPORTS)[number];

/** The primary's exports as outputs; the standby's only way to learn them (no copy in its stack file). */
export function primaryExports(config: StackConfig): Record<PrimaryExport, pulumi.Output<string>> {
  if (!config.primaryStack) throw new Error('kinema:primaryStack is not set (a secondary stack needs it)');
  const primary = new pulumi.StackReference('primary', { name: config.primaryStack });
  return Object.fromEntries(PRIMARY_EXPORTS.map((name) => [name, primary.requireOutput(name).apply(String)])) as Record<
    PrimaryExport,
    pulumi.Output<string>
  >;
}
