import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, type TestApp } from '../helpers/app.js';
import { createUser, createWorkspace, expectProblem, mailsTo, uniqueEmail } from '../factories.js';

describe('Idempotency-Key (T-CONC-07)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('replays the first answer for a retried invitation: one invitation, one email', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner);
    const email = uniqueEmail('idem');
    const body = { emails: [email], role: 'user' };
    const headers = { 'idempotency-key': 'retry-key-0001' };
    const first = await owner.api.post(`/api/workspaces/${ws.id}/invitations`, body, headers);
    expect(first.statusCode).toBe(201);
    const again = await owner.api.post(`/api/workspaces/${ws.id}/invitations`, body, headers);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(json(again).created[0].id).toBe(json(first).created[0].id);
    const list = json(await owner.api.get(`/api/workspaces/${ws.id}/invitations?q=${encodeURIComponent(email)}`));
    expect(list.items).toHaveLength(1);
    expect(await mailsTo(t, email)).toHaveLength(1);

    // Positive control: without the key, a repeat is a new request (and says the address is pending).
    const plain = await owner.api.post(`/api/workspaces/${ws.id}/invitations`, body);
    expect(json(plain).skipped).toEqual([{ email, reason: 'already_pending' }]);
  });

  it('refuses the same key with a different body (422) and keys are per user', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner);
    const headers = { 'idempotency-key': 'retry-key-0002' };
    expect((await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [uniqueEmail()], role: 'user' }, headers)).statusCode).toBe(201);
    expectProblem(await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [uniqueEmail()], role: 'user' }, headers), 422, 'idempotency_key_reused');
    const other = await createUser(t);
    const otherWs = await createWorkspace(other);
    expect((await other.api.post(`/api/workspaces/${otherWs.id}/invitations`, { emails: [uniqueEmail()], role: 'user' }, headers)).statusCode).toBe(201);
  });

  it('replays errors too, and validates the key', async () => {
    const owner = await createUser(t);
    const headers = { 'idempotency-key': 'retry-key-0003' };
    const bad = await owner.api.post('/api/workspaces/00000000-0000-4000-8000-000000000000/invitations', { emails: ['a@b.test'], role: 'user' }, headers);
    expectProblem(bad, 404, 'not_found');
    const replay = await owner.api.post('/api/workspaces/00000000-0000-4000-8000-000000000000/invitations', { emails: ['a@b.test'], role: 'user' }, headers);
    expectProblem(replay, 404, 'not_found');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expectProblem(await owner.api.post('/api/workspaces', { name: 'x' }, { 'idempotency-key': 'short' }), 400, 'validation_failed');
  });
});
