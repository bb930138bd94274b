import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE } from '../../src/app/context.js';
import { tosAcceptances } from '../../src/db/schema/index.js';
import { createTestApp, json, type TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, expectProblem, uniqueEmail } from '../factories.js';
import { eventsOf, freshIp, ipCaller } from './support.js';

/** Issue 5: workspace Terms of Service — published by admins, accepted by guests before anything else. */
describe('terms of service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  async function setup() {
    const owner = await createUser(t, { email: uniqueEmail('owner') });
    const ws = await createWorkspace(owner, 'Terms Co');
    const admin = await addMember(t, owner, ws.id, 'admin');
    const user = await addMember(t, owner, ws.id, 'user');
    const guestUser = await addMember(t, owner, ws.id, 'guest');
    const ip = freshIp();
    const guest = { ...guestUser, ip, api: ipCaller(t.app, guestUser.cookie, ip, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' }) };
    return { owner, ws, admin, user, guest };
  }

  const acceptances = (workspaceId: string, userId: string) =>
    t.deps.db.select().from(tosAcceptances).where(and(eq(tosAcceptances.workspaceId, workspaceId), eq(tosAcceptances.userId, userId)));

  it('admins publish terms and every publication increments the version; the text is trimmed', async () => {
    const { ws, admin, owner } = await setup();
    expect(json(await owner.api.get(`/api/workspaces/${ws.id}/terms`))).toEqual({ text: '', version: 0, accepted: false });
    const v1 = await admin.api.put(`/api/workspaces/${ws.id}/terms`, { text: '  Be kind to the data.  ' });
    expect(v1.statusCode, v1.body).toBe(200);
    expect(json(v1)).toEqual({ text: 'Be kind to the data.', version: 1, accepted: false });
    const v2 = await owner.api.put(`/api/workspaces/${ws.id}/terms`, { text: 'Be kind to the data. Really.' });
    expect(json(v2).version).toBe(2);
    expect(json(await owner.api.get(`/api/workspaces/${ws.id}`)).settings.termsVersion).toBe(2);
    expect(await eventsOf(t, 'workspace.terms_updated', { workspaceId: ws.id })).toHaveLength(2);
  });

  it('non-admins cannot publish terms (403 forbidden); the terms are unchanged', async () => {
    const { ws, user, guest, owner } = await setup();
    await owner.api.put(`/api/workspaces/${ws.id}/terms`, { text: 'Version one' });
    expectProblem(await user.api.put(`/api/workspaces/${ws.id}/terms`, { text: 'Hijacked' }), 403, 'forbidden');
    // A guest is first asked to accept; once accepted, publishing is still forbidden.
    expectProblem(await guest.api.put(`/api/workspaces/${ws.id}/terms`, { text: 'Hijacked' }), 403, 'tos_acceptance_required');
    expect((await guest.api.post(`/api/workspaces/${ws.id}/terms/accept`, { version: 1 })).statusCode).toBe(200);
    expectProblem(await guest.api.put(`/api/workspaces/${ws.id}/terms`, { text: 'Hijacked' }), 403, 'forbidden');
    expect(json(await owner.api.get(`/api/workspaces/${ws.id}/terms`))).toMatchObject({ text: 'Version one', version: 1 });
  });

  it('a guest must accept before any gated workspace route (403 tos_acceptance_required); acceptance is recorded with time, IP, user agent and version', async () => {
    const { ws, owner, guest, user } = await setup();
    // Without terms, nothing is asked (positive control).
    expect((await guest.api.get(`/api/workspaces/${ws.id}/locations`)).statusCode).toBe(200);
    await owner.api.put(`/api/workspaces/${ws.id}/terms`, { text: 'Read me.' });

    for (const url of [`/api/workspaces/${ws.id}/locations`, `/api/workspaces/${ws.id}/members/${guest.memberId}`, `/api/workspaces/${ws.id}/local-partners`]) {
      expectProblem(await guest.api.get(url), 403, 'tos_acceptance_required');
    }
    expectProblem(await guest.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [uniqueEmail('x')], role: 'guest' }), 403, 'tos_acceptance_required');
    // What the guest needs to get unstuck stays reachable.
    const view = await guest.api.get(`/api/workspaces/${ws.id}`);
    expect(view.statusCode).toBe(200);
    expect(json(view).pendingRequirements).toEqual(['terms']);
    expect(json(await guest.api.get('/api/me')).workspaces.find((w: { id: string }) => w.id === ws.id).pendingRequirements).toEqual(['terms']);
    expect(json(await guest.api.get(`/api/workspaces/${ws.id}/terms`))).toEqual({ text: 'Read me.', version: 1, accepted: false });
    // Members (non-guests) are not gated by the terms.
    expect((await user.api.get(`/api/workspaces/${ws.id}/locations`)).statusCode).toBe(200);
    expect(json(await user.api.get(`/api/workspaces/${ws.id}`)).pendingRequirements).toEqual([]);
    expect(await acceptances(ws.id, guest.id)).toHaveLength(0);

    t.clock.advance(MINUTE);
    const at = t.clock.now();
    const accepted = await guest.api.post(`/api/workspaces/${ws.id}/terms/accept`, { version: 1 });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(json(accepted)).toEqual({ text: 'Read me.', version: 1, accepted: true });
    const rows = await acceptances(ws.id, guest.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ version: 1, ip: guest.ip, acceptedAt: at });
    expect(rows[0]!.userAgent).toContain('Firefox');
    expect(await eventsOf(t, 'workspace.terms_accepted', { workspaceId: ws.id, actorUserId: guest.id })).toHaveLength(1);
    expect((await guest.api.get(`/api/workspaces/${ws.id}/locations`)).statusCode).toBe(200);
    expect(json(await guest.api.get(`/api/workspaces/${ws.id}/terms`)).accepted).toBe(true);

    // Accepting twice is harmless: one row, one event.
    expect((await guest.api.post(`/api/workspaces/${ws.id}/terms/accept`, { version: 1 })).statusCode).toBe(200);
    expect(await acceptances(ws.id, guest.id)).toHaveLength(1);
  });

  it('accepting an old version → 409 terms_changed; a new version asks again', async () => {
    const { ws, owner, guest } = await setup();
    await owner.api.put(`/api/workspaces/${ws.id}/terms`, { text: 'First terms' });
    expect((await guest.api.post(`/api/workspaces/${ws.id}/terms/accept`, { version: 1 })).statusCode).toBe(200);
    expect((await guest.api.get(`/api/workspaces/${ws.id}/locations`)).statusCode).toBe(200);

    await owner.api.put(`/api/workspaces/${ws.id}/terms`, { text: 'Second terms' });
    expectProblem(await guest.api.get(`/api/workspaces/${ws.id}/locations`), 403, 'tos_acceptance_required');
    // The guest was reading version 1 when version 2 came out.
    expectProblem(await guest.api.post(`/api/workspaces/${ws.id}/terms/accept`, { version: 1 }), 409, 'terms_changed');
    expectProblem(await guest.api.post(`/api/workspaces/${ws.id}/terms/accept`, { version: 3 }), 409, 'terms_changed');
    expect((await acceptances(ws.id, guest.id)).map((r) => r.version)).toEqual([1]);
    expect(json(await guest.api.get(`/api/workspaces/${ws.id}/terms`))).toEqual({ text: 'Second terms', version: 2, accepted: false });

    expect((await guest.api.post(`/api/workspaces/${ws.id}/terms/accept`, { version: 2 })).statusCode).toBe(200);
    expect((await acceptances(ws.id, guest.id)).map((r) => r.version).sort()).toEqual([1, 2]);
    expect((await guest.api.get(`/api/workspaces/${ws.id}/locations`)).statusCode).toBe(200);
  });

  it('removing the terms (empty text) stops the gate; accepting when there are none → 409 conflict', async () => {
    const { ws, owner, guest } = await setup();
    expectProblem(await guest.api.post(`/api/workspaces/${ws.id}/terms/accept`, { version: 1 }), 409, 'conflict');
    await owner.api.put(`/api/workspaces/${ws.id}/terms`, { text: 'Some terms' });
    expectProblem(await guest.api.get(`/api/workspaces/${ws.id}/locations`), 403, 'tos_acceptance_required');
    expect(json(await owner.api.put(`/api/workspaces/${ws.id}/terms`, { text: '   ' }))).toMatchObject({ version: 0, text: '' });
    expect((await guest.api.get(`/api/workspaces/${ws.id}/locations`)).statusCode).toBe(200);
  });

  it('terms of one workspace gate only that workspace; outsiders cannot read or accept them (404)', async () => {
    const a = await setup();
    const b = await setup();
    await a.owner.api.put(`/api/workspaces/${a.ws.id}/terms`, { text: 'A terms' });
    // b's guest is not a member of A.
    expectProblem(await b.guest.api.get(`/api/workspaces/${a.ws.id}/terms`), 404, 'not_found');
    expectProblem(await b.guest.api.post(`/api/workspaces/${a.ws.id}/terms/accept`, { version: 1 }), 404, 'not_found');
    expect(await acceptances(a.ws.id, b.guest.id)).toHaveLength(0);
    expect((await b.guest.api.get(`/api/workspaces/${b.ws.id}/locations`)).statusCode).toBe(200);
  });
});
