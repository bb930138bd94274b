import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app/build-app.js';
import { rowsOf } from '../../src/db/client.js';
import { caller, createTestApp, json, type TestApp } from '../helpers/app.js';
import { createUser, createWorkspace, invite, uniqueEmail } from '../factories.js';

describe('pages and logs around link tokens', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('T-INV-12: the landing page is not cached and sends no Referer; the request log redacts the token', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner);
    const { token } = await invite(t, owner, ws.id, uniqueEmail());
    const page = await caller(t.app).get(`/invite/${token}`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    // Positive control: an ordinary page is cacheable.
    expect((await caller(t.app).get('/members')).headers['cache-control']).toBeUndefined();

    // The logger's request serializer, as configured by buildApp, never prints a token.
    const logged: string[] = [];
    const { app } = await buildApp({ config: { ...t.config, LOG_LEVEL: 'info' }, db: t.deps.db, keys: t.deps.keys, clock: t.clock, loggerStream: { write: (line: string) => void logged.push(line) } });
    await app.inject({ method: 'GET', url: `/api/invitations/${token}` });
    await app.inject({ method: 'POST', url: `/api/invitations/${token}/decline`, headers: { origin: t.config.APP_URL } });
    await app.close();
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain(token);
    expect(logged.join('\n')).toContain('/api/invitations/[redacted]');
  });

  it('T-SESS-06: GET never consumes a link: previews leave the invitation pending and acceptable', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner);
    const invitee = await createUser(t);
    const { token, invitationId } = await invite(t, owner, ws.id, invitee.email);
    for (let i = 0; i < 3; i++) expect((await caller(t.app).get(`/api/invitations/${token}`)).statusCode).toBe(200);
    await caller(t.app).get(`/invite/${token}`);
    const [row] = rowsOf<{ status: string }>(await t.deps.db.execute(sql`select status from invitations where id = ${invitationId}`));
    expect(row!.status).toBe('pending');
    expect(json(await invitee.api.post(`/api/invitations/${token}/accept`)).workspaceId).toBe(ws.id);
  });
});
