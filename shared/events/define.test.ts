import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VideoUploaded } from './catalog.js';
import { defineEvent } from './define.js';
import { allEvents } from './index.js';

describe('defineEvent', () => {
  const at = Date.parse('2026-11-28T12:00:00Z');

  it('builds EventBridge envelopes with kinema.<service> sources', () => {
    const envelope = VideoUploaded.create(
      { videoId: 'v1', sourceKey: 'uploads/v1/source', size: 10, contentType: 'video/mp4' },
      at,
    );
    expect(envelope).toMatchObject({
      version: '0',
      source: 'kinema.catalog',
      'detail-type': 'VideoUploaded',
      time: '2026-11-28T12:00:00.000Z',
      detail: { videoId: 'v1' },
    });
    expect(VideoUploaded.parse(JSON.parse(JSON.stringify(envelope)))).toEqual(envelope);
  });

  it('refuses a detail that breaks the schema, at the producer and at the consumer', () => {
    expect(() => VideoUploaded.create({ videoId: 'v1' } as never, at)).toThrow();
    const envelope = VideoUploaded.create({ videoId: 'v1', sourceKey: 'k', size: 1, contentType: 'video/mp4' }, at);
    expect(() => VideoUploaded.parse({ ...envelope, detail: { videoId: 3 } })).toThrow();
  });

  it('routes on exact source and detail-type only', () => {
    const Other = defineEvent('media', 'VideoUploaded', z.object({}));
    const envelope = VideoUploaded.create({ videoId: 'v1', sourceKey: 'k', size: 1, contentType: 'video/mp4' }, at);
    expect(VideoUploaded.matches(envelope)).toBe(true);
    expect(Other.matches(envelope)).toBe(false);
    expect(() => Other.parse(envelope)).toThrow(/expected kinema.media\/VideoUploaded/);
  });

  it('the catalog names every event once', () => {
    const names = allEvents.map((event) => `${event.source}/${event.type}`);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('kinema.entitlement/RentalPurchased');
  });
});
