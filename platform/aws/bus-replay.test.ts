import {
  DescribeArchiveCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { busReplay } from './bus-replay.js';

const REGION = 'ap-southeast-1';
const BUS = `arn:aws:events:${REGION}:123456789012:event-bus/kinema`;
const ARCHIVE = `arn:aws:events:${REGION}:123456789012:archive/kinema-all`;

describe('busReplay (EventBridge StartReplay)', () => {
  const events = mockClient(EventBridgeClient);
  beforeEach(() => {
    events.reset();
    events.on(DescribeArchiveCommand, { ArchiveName: 'kinema-all' }).resolves({
      ArchiveArn: ARCHIVE,
      ArchiveName: 'kinema-all',
      EventSourceArn: BUS,
      State: 'ENABLED',
      RetentionDays: 14,
      EventCount: 1234,
    });
  });
  const now = () => new Date('2026-11-30T02:00:00Z');

  it('replays the archive into the bus it archives, limited to the given rules', async () => {
    events.on(StartReplayCommand).resolves({
      ReplayArn: `arn:aws:events:${REGION}:123456789012:replay/kinema-20261130010000-20261130020000`,
      State: 'STARTING',
      ReplayStartTime: now(),
    });
    const rule = `arn:aws:events:${REGION}:123456789012:rule/kinema/kinema-notification-rental-reminder`;
    const started = await busReplay({ client: new EventBridgeClient({ region: REGION }), now }).start({
      archiveName: 'kinema-all',
      from: new Date('2026-11-30T01:00:00Z'),
      rules: ['kinema-notification-rental-reminder'],
    });
    expect(started).toMatchObject({ name: 'kinema-20261130010000-20261130020000', state: 'STARTING' });
    const [call] = events.commandCalls(StartReplayCommand);
    expect(call?.args[0].input).toMatchObject({
      ReplayName: 'kinema-20261130010000-20261130020000',
      EventSourceArn: ARCHIVE,
      EventStartTime: new Date('2026-11-30T01:00:00Z'),
      EventEndTime: now(),
      Destination: { Arn: BUS, FilterArns: [rule] },
    });
  });

  it('refuses an empty or reversed window before calling AWS', async () => {
    const replay = busReplay({ client: new EventBridgeClient({ region: REGION }), now });
    await expect(replay.start({ archiveName: 'kinema-all', from: now(), to: now() })).rejects.toThrow(/start before/);
    expect(events.commandCalls(StartReplayCommand)).toHaveLength(0);
  });

  it('waits until the replay reaches a final state', async () => {
    events
      .on(DescribeReplayCommand, { ReplayName: 'r1' })
      .resolvesOnce({ ReplayName: 'r1', ReplayArn: 'arn:r1', State: 'RUNNING' })
      .resolves({ ReplayName: 'r1', ReplayArn: 'arn:r1', State: 'COMPLETED', EventLastReplayedTime: now() });
    const slept: number[] = [];
    const replay = busReplay({
      client: new EventBridgeClient({ region: REGION }),
      now,
      sleep: async (ms) => void slept.push(ms),
    });
    await expect(replay.wait('r1', { pollMs: 5 })).resolves.toMatchObject({ state: 'COMPLETED', lastReplayed: now() });
    expect(slept).toEqual([5]);
  });
});
