export interface Email {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** SES v2 on AWS; SMTP or an outbox of .eml files standalone. */
export interface Mailer {
  send(email: Email): Promise<{ messageId: string }>;
}
