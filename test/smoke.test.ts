import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { addMember, createUser, createWorkspace, expectProblem } from './factories.js';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('invites and accepts', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner);
    const member = await addMember(t, owner, ws.id, 'admin');
    const res = await member.api.get(`/api/workspaces/${ws.id}/members`);
    expect(res.statusCode).toBe(200);
    expectProblem(await owner.api.get(`/api/workspaces/00000000-0000-4000-8000-000000000000/members`), 404, 'not_found');
  });
});
