import { z } from 'zod';

const Recipients = z.array(z.object({ emailAddress: z.string() }));

/** SES's events on the default bus (configuration set → EventBridge), the parts Kinema reads. */
const SesEvent = z.object({
  source: z.literal('aws.ses'),
  'detail-type': z.string(),
  detail: z.object({
    eventType: z.string(),
    bounce: z.object({ bounceType: z.string(), bouncedRecipients: Recipients }).optional(),
    complaint: z.object({ complainedRecipients: Recipients }).optional(),
  }),
});

export interface SesFeedback {
  address: string;
  reason: 'bounce' | 'complaint';
}

/** True for an event SES put on the bus (as opposed to a Kinema envelope). */
export const isSesEvent = (event: unknown): boolean =>
  typeof event === 'object' && event !== null && (event as { source?: unknown }).source === 'aws.ses';

/**
 * The addresses an SES event says never to mail again: every recipient of a permanent bounce or a
 * complaint. Transient bounces (a full mailbox) and other events (deliveries, opens) give none.
 */
export function suppressionsFromSes(event: unknown): SesFeedback[] {
  const parsed = SesEvent.parse(event);
  const { bounce, complaint, eventType } = parsed.detail;
  if (eventType === 'Bounce' && bounce?.bounceType === 'Permanent') {
    return bounce.bouncedRecipients.map(({ emailAddress }) => ({ address: emailAddress, reason: 'bounce' }));
  }
  if (eventType === 'Complaint' && complaint) {
    return complaint.complainedRecipients.map(({ emailAddress }) => ({ address: emailAddress, reason: 'complaint' }));
  }
  return [];
}
