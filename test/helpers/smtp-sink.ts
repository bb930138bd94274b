import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SinkMail {
  messageId: string;
  to: string;
  at: number;
}

/**
 * An in-process SMTP server that records every complete message (STACK gotcha 17). A message cut
 * off mid-transfer is not recorded. `beforeAck` runs after a message arrived and before the sink
 * answers 250, i.e. while the sender still waits for the acknowledgement. While `refuse()` is true
 * the sink answers 451 to DATA, like a provider that is down.
 */
export async function startSmtpSink(opts: { beforeAck?: (mail: SinkMail, all: SinkMail[]) => void; refuse?: () => boolean } = {}): Promise<{ port: number; mails: SinkMail[]; close(): Promise<void> }> {
  const mails: SinkMail[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    disableReverseLookup: true,
    maxClients: 500,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', () => {});
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const head = raw.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
        const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase()).join(',');
        if (opts.refuse?.()) return callback(Object.assign(new Error('Mailbox temporarily unavailable'), { responseCode: 451 }));
        const mail = { messageId: header('Message-ID'), to, at: Date.now() };
        mails.push(mail);
        opts.beforeAck?.(mail, mails);
        callback();
      });
    },
  });
  server.on('error', () => {});
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

