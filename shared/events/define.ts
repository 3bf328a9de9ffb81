import { z } from 'zod';
import { newId } from '../ids.js';

export const SERVICES = ['catalog', 'entitlement', 'media', 'engagement', 'notification', 'identity'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * EventBridge's own envelope. `source` is `kinema.<service>`, `detail-type` the event's name;
 * routing is exact on those two fields in both runtimes.
 */
export const EventEnvelope = z.object({
  version: z.literal('0').default('0'),
  id: z.string().min(1).max(128),
  source: z.string().regex(/^kinema\.[a-z]+$/),
  'detail-type': z.string().min(1).max(128),
  time: z.iso.datetime({ offset: true }),
  account: z.string().optional(),
  region: z.string().optional(),
  resources: z.array(z.string()).default([]),
  detail: z.unknown(),
});

export type EventEnvelope<D = unknown> = Omit<z.infer<typeof EventEnvelope>, 'detail'> & { detail: D };

export interface EventDefinition<Type extends string = string, S extends z.ZodType = z.ZodType> {
  readonly source: `kinema.${ServiceName}`;
  readonly type: Type;
  readonly schema: S;
  /** Builds a validated envelope for this event; `at` comes from the Clock port. */
  create(detail: z.input<S>, at: number, id?: string): EventEnvelope<z.infer<S>>;
  /** Parses an envelope of this event (source and type must match) and its detail. */
  parse(envelope: unknown): EventEnvelope<z.infer<S>>;
  /** True when the envelope is this event, by exact source + detail-type. */
  matches(envelope: Pick<EventEnvelope, 'source' | 'detail-type'>): boolean;
}

export type EventDetail<E> = E extends EventDefinition<string, infer S> ? z.infer<S> : never;

/** Defines an event once, in the owner's catalog file; producer and consumer share the type. */
export function defineEvent<Type extends string, S extends z.ZodType>(
  service: ServiceName,
  type: Type,
  schema: S,
): EventDefinition<Type, S> {
  const source = `kinema.${service}` as const;
  const matches = (envelope: Pick<EventEnvelope, 'source' | 'detail-type'>) =>
    envelope.source === source && envelope['detail-type'] === type;
  return {
    source,
    type,
    schema,
    matches,
    create(detail, at, id = newId(at)) {
      return {
        version: '0',
        id,
        source,
        'detail-type': type,
        time: new Date(at).toISOString(),
        resources: [],
        detail: schema.parse(detail),
      };
    },
    parse(input) {
      const envelope = EventEnvelope.parse(input);
      if (!matches(envelope)) {
        throw new Error(`expected ${source}/${type}, got ${envelope.source}/${envelope['detail-type']}`);
      }
      return { ...envelope, detail: schema.parse(envelope.detail) };
    },
  };
}
