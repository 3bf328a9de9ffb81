/**
 * Operator command: replay a region's bus archive from a time, for consumers that missed events
 * (after a failover, or once a consumer's fault is fixed). Consumers skip what they already
 * handled (their inbox keeps the producer's event id), so replaying too much is safe.
 *
 *   node --import tsx scripts/replay-events.ts --region ap-southeast-1 --from 2026-11-30T01:00:00Z \
 *     [--to 2026-11-30T02:00:00Z] [--rule kinema-notification-rental-reminder ...] [--wait]
 *
 * Uses the caller's AWS credentials (events:DescribeArchive, StartReplay, DescribeReplay).
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { busReplay } from '#platform/aws/bus-replay.js';

const Args = z.object({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as ap-southeast-1'),
  from: z.iso.datetime({ offset: true }).transform((value) => new Date(value)),
  to: z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value))
    .optional(),
  rule: z
    .array(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a rule name such as kinema-notification-rental-reminder'))
    .default([]),
  archive: z.string().default('kinema-all'),
  wait: z.boolean().default(false),
});

const { values } = parseArgs({
  options: {
    region: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    rule: { type: 'string', multiple: true },
    archive: { type: 'string' },
    wait: { type: 'boolean' },
  },
});
const parsed = Args.safeParse(values);
if (!parsed.success) {
  console.error(parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n'));
  process.exit(2);
}
const args = parsed.data;
const client = new EventBridgeClient({ region: args.region });
const replay = busReplay({ client });
const started = await replay.start({
  archiveName: args.archive,
  from: args.from,
  ...(args.to ? { to: args.to } : {}),
  rules: args.rule,
});
console.log(`replay ${started.name} ${started.state} (${started.arn})`);
if (args.wait) {
  const done = await replay.wait(started.name);
  console.log(`replay ${done.name} ${done.state}${done.reason ? `: ${done.reason}` : ''}`);
  if (done.state !== 'COMPLETED') process.exit(1);
}
