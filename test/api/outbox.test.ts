import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECOND } from '../../src/app/context.js';
import { activityEvents, outbox } from '../../src/db/schema/index.js';
import { createTestApp, json, type TestApp } from '../helpers/app.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { createUser, createWorkspace, uniqueEmail } from '../factories.js';

/** T-CONC-08: the mail provider is down; nothing is lost, retries back off, and dead letters are visible. */
describe('outbox delivery through a real SMTP server (T-CONC-08)', () => {
  let refusing = true;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let t: TestApp;
  beforeAll(async () => {
    sink = await startSmtpSink({ refuse: () => refusing });
    t = await createTestApp({ config: { SMTP_URL: `smtp://127.0.0.1:${sink.port}?ignoreTLS=true`, OUTBOX_MAX_ATTEMPTS: '3' } });
  });
  afterAll(async () => {
    await t.close();
    await sink.close();
  });

  const rowFor = async (invitationId: string) => (await t.deps.db.select().from(outbox).where(sql`${outbox.payload}->>'invitationId' = ${invitationId}`))[0]!;

  it('retries with exponential backoff, dead-letters after N attempts, records it for admins, and a resend delivers once the server is back', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner);
    const email = uniqueEmail('bounce');
    const created = await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [email], role: 'user' });
    // The API answers at once: the provider being down is the worker's problem, not the request's.
    expect(created.statusCode).toBe(201);
    const invitationId = json(created).created[0].id;

    await t.worker.drain();
    let row = await rowFor(invitationId);
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.lastError).toMatch(/451|unavailable/i);
    expect(row.runAt.getTime() - t.clock.now().getTime()).toBe(5 * SECOND);

    // Not due yet: nothing happens.
    await t.worker.drain();
    expect((await rowFor(invitationId)).attempts).toBe(1);

    t.clock.advance(5 * SECOND);
    await t.worker.drain();
    row = await rowFor(invitationId);
    expect(row).toMatchObject({ status: 'pending', attempts: 2 });
    expect(row.runAt.getTime() - t.clock.now().getTime()).toBe(10 * SECOND);

    t.clock.advance(10 * SECOND);
    await t.worker.drain();
    row = await rowFor(invitationId);
    expect(row).toMatchObject({ status: 'failed', attempts: 3 });
    expect(sink.mails).toHaveLength(0);

    // Visible to admins in the activity log, with the address and the error.
    const events = await t.deps.db.select().from(activityEvents).where(eq(activityEvents.type, 'email.dead_lettered'));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ workspaceId: ws.id, subjectId: invitationId });
    expect(events[0]!.data).toMatchObject({ kind: 'email.invitation', email, attempts: 3 });
    const feed = json(await owner.api.get(`/api/workspaces/${ws.id}/activity?type=email.dead_lettered`));
    expect(feed.items.map((e: { subjectId: string }) => e.subjectId)).toEqual([invitationId]);

    // The provider is back; the admin resends (after the cooldown): one mail, with the outbox row's Message-ID.
    refusing = false;
    t.clock.advance(60 * SECOND);
    expect((await owner.api.post(`/api/workspaces/${ws.id}/invitations/${invitationId}/resend`)).statusCode).toBe(200);
    await t.worker.drain();
    expect(sink.mails.map((m) => m.to)).toEqual([email]);
    const delivered = (await t.deps.db.select().from(outbox).where(sql`${outbox.payload}->>'invitationId' = ${invitationId} and ${outbox.status} = 'done'`))[0]!;
    expect(sink.mails[0]!.messageId).toBe(`<${delivered.id}@gatehouse>`);
  });
});
