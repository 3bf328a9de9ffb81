import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { EmailContent, SESv2Client } from '@aws-sdk/client-sesv2';
import type { Mailer } from '#shared/ports/mailer.js';

export interface SesMailerOptions {
  client: SESv2Client;
  /** A verified identity's address (infra/notification.ts), e.g. `Kinema <no-reply@kinema.app>`. */
  from: string;
  /**
   * The configuration set: SES's own suppression of bounced and complaining addresses, and the
   * bounce/complaint events that feed the notification service's suppression list.
   */
  configurationSetName: string;
}

/**
 * The Mailer port on SES v2. An email rendered from a template is sent as that stored template
 * (infra creates `kinema-rental-reminder-ja`/`-en` from the same source the service renders), so
 * SES's copy and the standalone outbox's say the same thing; headers (List-Unsubscribe) ride along.
 */
export function sesMailer(options: SesMailerOptions): Mailer {
  const { client } = options;
  return {
    async send(email) {
      const headers = Object.entries(email.headers ?? {}).map(([Name, Value]) => ({ Name, Value }));
      const content: EmailContent = email.template
        ? {
            Template: {
              TemplateName: email.template.name,
              TemplateData: JSON.stringify(email.template.data),
              Headers: headers,
            },
          }
        : {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
              Headers: headers,
            },
          };
      const response = await client.send(
        new SendEmailCommand({
          FromEmailAddress: options.from,
          Destination: { ToAddresses: [email.to] },
          Content: content,
          ConfigurationSetName: options.configurationSetName,
          EmailTags: [{ Name: 'email', Value: email.id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) }],
        }),
      );
      if (!response.MessageId) throw new Error('SES answered without a MessageId');
      return { messageId: response.MessageId };
    },
  };
}
