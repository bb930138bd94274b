import nodemailer from 'nodemailer';
import type { Db } from '../db/client.js';
import { devMailbox } from '../db/schema/index.js';
import type { Clock, Random } from '../app/context.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface OutgoingMail extends Mail {
  /** Stable per outbox row, so a re-sent mail after a crash is recognisable as the same one. */
  messageId: string;
  outboxId: string;
}

export interface Mailer {
  readonly kind: 'smtp' | 'dev-mailbox';
  send(mail: OutgoingMail): Promise<void>;
  close(): Promise<void>;
}

/** Strips CR/LF so no user-controlled string can add a header. */
export function singleLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, ' ').trim();
}

export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    kind: 'smtp',
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: singleLine(mail.subject), text: mail.text, html: mail.html, messageId: mail.messageId });
    },
    async close() {
      transport.close();
    },
  };
}

export function devMailboxMailer(db: Db, from: string, clock: Clock, random: Random): Mailer {
  return {
    kind: 'dev-mailbox',
    async send(mail) {
      await db
        .insert(devMailbox)
        .values({ id: random.uuid(), outboxId: mail.outboxId, messageId: mail.messageId, to: mail.to, from, subject: singleLine(mail.subject), text: mail.text, html: mail.html, createdAt: clock.now() })
        .onConflictDoNothing();
    },
    async close() {},
  };
}
