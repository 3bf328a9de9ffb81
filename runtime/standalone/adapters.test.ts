import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '#shared/events/define.js';
import { lateBus } from './adapters.js';

describe('the late-bound bus adapters publish on', () => {
  const envelope = { id: 'e1' } as unknown as EventEnvelope;

  it('refuses before the server connects the dispatcher, then forwards to it', async () => {
    const bus = lateBus();
    await expect(bus.publish([envelope])).rejects.toThrow(/not connected/);
    const seen: EventEnvelope[][] = [];
    bus.connect({ publish: async (events) => void seen.push(events) });
    await bus.publish([envelope]);
    expect(seen).toEqual([[envelope]]);
  });
});
