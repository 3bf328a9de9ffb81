import { describe, expect, it } from 'vitest';
import { isSesEvent, suppressionsFromSes } from './ses-feedback.js';

/** Shaped as SES puts them on the default bus (the fields AWS documents; ids shortened). */
const sesEvent = (detailType: string, detail: Record<string, unknown>) => ({
  version: '0',
  id: '8d1b7c7e-4f6e-0a5b-2c1d-3e4f5a6b7c8d',
  'detail-type': detailType,
  source: 'aws.ses',
  account: '123456789012',
  time: '2030-01-02T22:00:05Z',
  region: 'ap-northeast-1',
  resources: ['arn:aws:ses:ap-northeast-1:123456789012:configuration-set/kinema-mail'],
  detail: {
    mail: { messageId: '0106018f6f0c1b2a-000000', destination: ['viewer@example.jp'] },
    ...detail,
  },
});

describe('suppressionsFromSes', () => {
  it('suppresses every recipient of a permanent bounce', () => {
    const event = sesEvent('Email Bounced', {
      eventType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [{ emailAddress: 'gone@example.jp', action: 'failed', status: '5.1.1' }],
      },
    });
    expect(isSesEvent(event)).toBe(true);
    expect(suppressionsFromSes(event)).toEqual([{ address: 'gone@example.jp', reason: 'bounce' }]);
  });

  it('suppresses a complaint, ignores a transient bounce and other events', () => {
    expect(
      suppressionsFromSes(
        sesEvent('Email Complaint Received', {
          eventType: 'Complaint',
          complaint: { complainedRecipients: [{ emailAddress: 'angry@example.jp' }], complaintFeedbackType: 'abuse' },
        }),
      ),
    ).toEqual([{ address: 'angry@example.jp', reason: 'complaint' }]);
    expect(
      suppressionsFromSes(
        sesEvent('Email Bounced', {
          eventType: 'Bounce',
          bounce: { bounceType: 'Transient', bouncedRecipients: [{ emailAddress: 'full@example.jp' }] },
        }),
      ),
    ).toEqual([]);
    expect(suppressionsFromSes(sesEvent('Email Delivered', { eventType: 'Delivery' }))).toEqual([]);
  });

  it('refuses what is not an SES event', () => {
    expect(isSesEvent({ source: 'kinema.notification' })).toBe(false);
    expect(() => suppressionsFromSes({ source: 'aws.ses', detail: {} })).toThrow();
  });
});
