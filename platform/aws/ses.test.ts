import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { sesMailer } from './ses.js';

const email = {
  id: 'rental-reminder-r1',
  to: 'viewer@example.jp',
  subject: '「千と千尋の神隠し」のレンタル期間は残り5時間を切りました',
  text: 'text',
  html: '<p>html</p>',
  headers: {
    'List-Unsubscribe': '<https://kinema.app/api/notification/unsubscribe?token=a.b>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
};

describe('sesMailer', () => {
  const sdk = mockClient(SESv2Client);
  beforeEach(() => sdk.reset());
  const mailer = () =>
    sesMailer({
      client: new SESv2Client({ region: 'ap-northeast-1' }),
      from: 'Kinema <no-reply@kinema.app>',
      configurationSetName: 'kinema-mail-tokyo',
    });

  it('sends a templated email as the stored SES template, with the one-click headers', async () => {
    sdk.on(SendEmailCommand).resolves({ MessageId: '0106018f6f0c1b2a-3e4b5c6d-7e8f-4a5b-9c8d-7e6f5a4b3c2d-000000' });
    const data = {
      title: '千と千尋の神隠し',
      expiresAt: '2030年1月3日(木) 12:00 JST',
      watchUrl: 'u',
      unsubscribeUrl: 'v',
    };
    const result = await mailer().send({ ...email, template: { name: 'kinema-rental-reminder-ja', data } });
    expect(result.messageId).toBe('0106018f6f0c1b2a-3e4b5c6d-7e8f-4a5b-9c8d-7e6f5a4b3c2d-000000');
    expect(sdk.commandCalls(SendEmailCommand)[0]!.args[0].input).toEqual({
      FromEmailAddress: 'Kinema <no-reply@kinema.app>',
      Destination: { ToAddresses: ['viewer@example.jp'] },
      ConfigurationSetName: 'kinema-mail-tokyo',
      EmailTags: [{ Name: 'email', Value: 'rental-reminder-r1' }],
      Content: {
        Template: {
          TemplateName: 'kinema-rental-reminder-ja',
          TemplateData: JSON.stringify(data),
          Headers: [
            { Name: 'List-Unsubscribe', Value: '<https://kinema.app/api/notification/unsubscribe?token=a.b>' },
            { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
          ],
        },
      },
    });
  });

  it('sends an email without a template as simple UTF-8 content', async () => {
    sdk.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    await mailer().send(email);
    expect(sdk.commandCalls(SendEmailCommand)[0]!.args[0].input.Content).toMatchObject({
      Simple: { Subject: { Data: email.subject, Charset: 'UTF-8' }, Body: { Html: { Data: '<p>html</p>' } } },
    });
  });

  it('a refusal (throttling, rejected message) reaches the caller, which retries', async () => {
    sdk.on(SendEmailCommand).rejects(new Error('MessageRejected: Email address is not verified.'));
    await expect(mailer().send(email)).rejects.toThrow('MessageRejected');
  });
});
