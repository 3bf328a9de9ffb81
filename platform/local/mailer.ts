import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Email, Mailer } from '#shared/ports/mailer.js';
import { OutboxEntry } from '#shared/responses.js';

/** One email of the outbox; `file` is the `.eml` file, relative to the outbox folder. */
export type { OutboxEntry };

export type LocalMailer = Mailer & {
  /** The emails written to the outbox, newest first. */
  list(limit: number): Promise<OutboxEntry[]>;
};

export interface LocalMailerOptions {
  /** The outbox folder: one `.eml` per email plus a `.json` line of what the list shows. */
  dir: string;
  /** `Kinema <no-reply@kinema.local>`. */
  from: string;
  now: () => number;
  /** smtp(s)://user:pass@host:port; without it nothing leaves the machine. */
  smtpUrl?: string;
  /** Connection, greeting and socket timeouts of the SMTP client (default 10 s). */
  smtpTimeoutMs?: number;
}

/**
 * The standalone Mailer. nodemailer's MIME composer builds every message (text and HTML
 * alternatives, RFC 2047-encoded Japanese subjects, the caller's List-Unsubscribe headers, a
 * Message-ID made from the email's own id so a resend is recognisable); the message is written to
 * the outbox as an `.eml` file and, when `smtpUrl` is set, also sent through that server.
 */
export function localMailer(options: LocalMailerOptions): LocalMailer {
  const { dir, from, now } = options;
  mkdirSync(dir, { recursive: true });
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'kinema.local';
  const timeout = options.smtpTimeoutMs ?? 10_000;
  // nodemailer (a few hundred modules' worth of start-up) is loaded with the first email, not at
  // start: most starts send none.
  let transports: Promise<{ composer: Transporter; smtp: Transporter | undefined }> | undefined;
  const loadTransports = () =>
    (transports ??= import('nodemailer').then(({ default: nodemailer }) => ({
      composer: nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' }),
      smtp: options.smtpUrl
        ? nodemailer.createTransport({
            url: options.smtpUrl,
            connectionTimeout: timeout,
            greetingTimeout: timeout,
            socketTimeout: timeout,
          } as SMTPTransport.Options)
        : undefined,
    })));

  return {
    async send(email: Email) {
      const { composer, smtp } = await loadTransports();
      const date = new Date(now());
      const messageId = `<${email.id}@${domain}>`;
      const built = await composer.sendMail({
        from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        date,
        messageId,
        headers: email.headers ?? {},
        textEncoding: 'base64',
      });
      const message = built.message as Buffer;
      if (smtp) await smtp.sendMail({ envelope: { from, to: [email.to] }, raw: message });
      const id = `${date.toISOString().replace(/[:.]/g, '-')}-${email.id}`;
      writeFileSync(join(dir, `${id}.eml.tmp`), message);
      renameSync(join(dir, `${id}.eml.tmp`), join(dir, `${id}.eml`));
      const entry: OutboxEntry = {
        id,
        messageId,
        to: email.to,
        subject: email.subject,
        date: date.toISOString(),
        text: email.text,
        file: `${id}.eml`,
      };
      writeFileSync(join(dir, `${id}.json`), JSON.stringify(entry));
      return { messageId };
    },
    async list(limit) {
      const files = readdirSync(dir)
        .filter((name) => name.endsWith('.json'))
        .sort()
        .reverse()
        .slice(0, limit);
      return files.map((name) => OutboxEntry.parse(JSON.parse(readFileSync(join(dir, name), 'utf8'))));
    },
  };
}
