import { DescribeArchiveCommand, DescribeReplayCommand, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeClient, ReplayState } from '@aws-sdk/client-eventbridge';

export interface ReplayRequest {
  /** The archive of the region's bus (infra/bus.ts: `kinema-all`). */
  archiveName: string;
  /** Events archived from this instant (inclusive) … */
  from: Date;
  /** … up to this one (default: now). */
  to?: Date;
  /** Only to these rules of the bus, by name (their consumers missed events); every rule when empty. */
  rules?: string[];
  /** The replay's name (unique in the region); default `kinema-<from>-<now>`. */
  name?: string;
}

export interface ReplayStatus {
  name: string;
  arn: string;
  state: ReplayState | string;
  reason?: string;
  lastReplayed?: Date;
}

const TERMINAL = new Set(['COMPLETED', 'CANCELLED', 'FAILED']);

/**
 * Replays a bus archive into the bus it archives (EventBridge StartReplay), for consumers that
 * missed events around a failover or an outage. Consumers are idempotent (their inbox keeps the
 * producer's event id), so events they did handle are skipped. Reads no environment.
 */
export function busReplay(options: {
  client: EventBridgeClient;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}) {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function status(name: string): Promise<ReplayStatus> {
    const replay = await options.client.send(new DescribeReplayCommand({ ReplayName: name }));
    return {
      name,
      arn: replay.ReplayArn ?? '',
      state: replay.State ?? 'UNKNOWN',
      ...(replay.StateReason ? { reason: replay.StateReason } : {}),
      ...(replay.EventLastReplayedTime ? { lastReplayed: replay.EventLastReplayedTime } : {}),
    };
  }

  return {
    async start(request: ReplayRequest): Promise<ReplayStatus> {
      const to = request.to ?? now();
      if (!(request.from < to))
        throw new Error(`the replay must start before it ends (${request.from.toISOString()} ≥ ${to.toISOString()})`);
      const archive = await options.client.send(new DescribeArchiveCommand({ ArchiveName: request.archiveName }));
      if (!archive.ArchiveArn || !archive.EventSourceArn)
        throw new Error(`the archive ${request.archiveName} has no ARN or bus`);
      // A rule on a custom bus is `…:rule/<bus>/<name>`, in the bus's region and account.
      const ruleArns = (request.rules ?? []).map((rule) =>
        archive.EventSourceArn!.replace(/:event-bus\/([^/]+)$/, `:rule/$1/${rule}`),
      );
      const stamp = (date: Date) =>
        date
          .toISOString()
          .replace(/[^0-9]/g, '')
          .slice(0, 14);
      const name = request.name ?? `kinema-${stamp(request.from)}-${stamp(now())}`;
      const started = await options.client.send(
        new StartReplayCommand({
          ReplayName: name,
          Description: `Kinema replay of ${request.archiveName} from ${request.from.toISOString()} to ${to.toISOString()}`,
          EventSourceArn: archive.ArchiveArn,
          EventStartTime: request.from,
          EventEndTime: to,
          Destination: {
            Arn: archive.EventSourceArn,
            ...(ruleArns.length > 0 ? { FilterArns: ruleArns } : {}),
          },
        }),
      );
      return { name, arn: started.ReplayArn ?? '', state: started.State ?? 'STARTING' };
    },
    status,
    /** Polls until the replay completes, fails or is cancelled. */
    async wait(name: string, { pollMs = 10_000, timeoutMs = 60 * 60_000 } = {}): Promise<ReplayStatus> {
      const deadline = now().getTime() + timeoutMs;
      for (;;) {
        const current = await status(name);
        if (TERMINAL.has(String(current.state))) return current;
        if (now().getTime() >= deadline) return current;
        await sleep(pollMs);
      }
    },
  };
}
