import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';
import { devMailbox } from '../db/schema/index.js';
import { decodeCursor, pageOf, pageQuery, pageSchema } from '../http/pagination.js';
import type { App } from '../http/types.js';
import { normalizeEmail } from '../lib/email-address.js';

export const mailSchema = z
  .object({ id: z.uuid(), messageId: z.string(), to: z.string(), from: z.string(), subject: z.string(), text: z.string(), html: z.string(), createdAt: z.date() })
  .meta({ id: 'DevMail' });

/**
 * The dev mailbox: with no SMTP server configured, every mail lands here, readable in the web
 * app and over the API. Never registered when NODE_ENV=production.
 */
export function devMailboxRoutes(app: App, deps: AppDeps) {
  app.get('/api/dev/mailbox', {
    config: { auth: 'public' },
    schema: {
      tags: ['dev'],
      summary: 'Mails captured by the dev mailbox, newest first (only when SMTP_URL is unset)',
      querystring: z.strictObject({ ...pageQuery, to: z.string().max(320).optional() }),
      response: { 200: pageSchema(mailSchema) },
    },
    handler: async (req) => {
      const conds: SQL[] = [];
      if (req.query.to) conds.push(eq(devMailbox.to, normalizeEmail(req.query.to)));
      const before = decodeCursor(req.query.cursor);
      if (before) conds.push(or(lt(devMailbox.createdAt, before.createdAt), and(eq(devMailbox.createdAt, before.createdAt), lt(devMailbox.id, before.id)))!);
      const rows = await deps.db
        .select()
        .from(devMailbox)
        .where(conds.length ? and(...conds) : undefined)
        .orderBy(desc(devMailbox.createdAt), desc(devMailbox.id))
        .limit(req.query.limit + 1);
      return pageOf(rows, req.query.limit);
    },
  });
}
