/** One email, fully rendered. Adapters add Date and the MIME structure. */
export interface Email {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The sender's own id for this email (also the Message-ID's local part), for idempotent retries. */
  id: string;
  /** Extra headers, e.g. `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058). */
  headers?: Record<string, string>;
  /**
   * The template this was rendered from and its data. SES sends the stored template of that name
   * (infra creates it from the same source); the local adapters send the rendered parts.
   */
  template?: { name: string; data: Record<string, string> };
}

/** SES v2 on AWS; SMTP or an outbox of .eml files standalone. */
export interface Mailer {
  /** Sends or throws (refused, timed out): the caller decides about retries. */
  send(email: Email): Promise<{ messageId: string }>;
}
