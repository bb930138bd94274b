import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/modules/mfa/totp.js';
import { SECOND } from '../../src/app/context.js';
import { caller, createTestApp, json, type TestApp } from '../helpers/app.js';
import { createUser, createWorkspace, expectProblem, mailsTo, sessionCookieOf, uniqueEmail } from '../factories.js';

/** Seed 001 end to end through the API: temporary password → new password + name → ToS → MFA → trusted device. */
describe('guest join flow (seed 001)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('walks a new guest from the invitation email to a trusted device', async () => {
    const owner = await createUser(t, { email: uniqueEmail('host') });
    const ws = await createWorkspace(owner, 'Host Co');
    expect((await owner.api.patch(`/api/workspaces/${ws.id}`, { mfaRequirement: 'guests' })).statusCode).toBe(200);
    expect((await owner.api.put(`/api/workspaces/${ws.id}/terms`, { text: 'Be nice.' })).statusCode).toBe(200);

    const guestEmail = uniqueEmail('guest');
    const invited = await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [guestEmail], role: 'guest' });
    expect(invited.statusCode, invited.body).toBe(201);
    const inv = json(invited).created[0];
    expect(inv.type).toBe('guest');
    expect(new Date(inv.expiresAt).getTime() - t.clock.now().getTime()).toBe(3 * 24 * 3600 * SECOND);

    const [mail] = await mailsTo(t, guestEmail);
    expect(mail!.text).toContain(`Username: ${guestEmail}`);
    const tempPassword = /Temporary password: (\S+)/.exec(mail!.text)![1]!;
    expect(tempPassword.length).toBeGreaterThanOrEqual(16);
    expect(mail!.text).toMatch(/Join as a guest: http:\/\/gatehouse\.test\/invite\//);

    // First sign-in with the temporary password: everything but the change is refused.
    const anon = caller(t.app);
    const signIn = await anon.post('/api/auth/sign-in', { email: guestEmail, password: tempPassword });
    expect(signIn.statusCode, signIn.body).toBe(200);
    expect(json(signIn).passwordChangeRequired).toBe(true);
    const guest = caller(t.app, sessionCookieOf(signIn));
    expectProblem(await guest.get('/api/workspaces'), 403, 'password_change_required');
    expect(json(await guest.get('/api/me')).nextStep).toBe('change_password');
    expectProblem(await guest.post('/api/me/complete-setup', { newPassword: tempPassword, name: 'Gia', familyName: 'Guest' }), 422, 'weak_password');
    const setup = await guest.post('/api/me/complete-setup', { newPassword: 'violet tangerine harbour 42', name: 'Gia', familyName: 'Guest' });
    expect(setup.statusCode, setup.body).toBe(200);
    expect(json(setup).joinedWorkspaceIds).toEqual([ws.id]);
    const g = caller(t.app, sessionCookieOf(setup));

    // The temporary password is dead.
    expectProblem(await anon.post('/api/auth/sign-in', { email: guestEmail, password: tempPassword }), 401, 'invalid_credentials');

    // Terms first, then MFA, enforced by the API.
    expectProblem(await g.get(`/api/workspaces/${ws.id}/locations`), 403, 'tos_acceptance_required');
    const wsView = json(await g.get(`/api/workspaces/${ws.id}`));
    expect(wsView.pendingRequirements).toEqual(['terms', 'mfa']);
    const terms = json(await g.get(`/api/workspaces/${ws.id}/terms`));
    expect(terms).toMatchObject({ text: 'Be nice.', version: 1, accepted: false });
    expect((await g.post(`/api/workspaces/${ws.id}/terms/accept`, { version: 1 })).statusCode).toBe(200);
    expectProblem(await g.get(`/api/workspaces/${ws.id}/locations`), 403, 'mfa_enrolment_required');

    const enrol = json(await g.post('/api/me/mfa/totp'));
    expect(enrol.qrCodeDataUrl).toMatch(/^data:image\/png;base64,/);
    const confirm = await g.post('/api/me/mfa/totp/confirm', { code: totpCode(enrol.secret, t.clock.now()) });
    expect(confirm.statusCode, confirm.body).toBe(200);
    expect(json(confirm).recoveryCodes).toHaveLength(10);
    expect((await g.get(`/api/workspaces/${ws.id}/locations`)).statusCode).toBe(200);

    // Next sign-in asks for the second factor; the enrolment code cannot be reused.
    const again = await anon.post('/api/auth/sign-in', { email: guestEmail, password: 'violet tangerine harbour 42' });
    expect(json(again).mfaRequired).toBe(true);
    const pending = caller(t.app, sessionCookieOf(again));
    expectProblem(await pending.get('/api/workspaces'), 401, 'mfa_required');
    expectProblem(await pending.post('/api/auth/mfa/verify', { code: totpCode(enrol.secret, t.clock.now()) }), 401, 'invalid_mfa_code');
    t.clock.advance(30 * SECOND);
    const verified = await pending.post('/api/auth/mfa/verify', { code: totpCode(enrol.secret, t.clock.now()), trustDevice: true });
    expect(verified.statusCode, verified.body).toBe(200);
    const cookies = ([] as string[]).concat(verified.headers['set-cookie'] as string[]);
    const device = cookies.find((c) => c.startsWith('gh_device='))!.split(';')[0]!;
    expect((await caller(t.app, sessionCookieOf(verified)).get('/api/workspaces')).statusCode).toBe(200);

    // With the trusted device, the second step is skipped.
    const trusted = await anon.post('/api/auth/sign-in', { email: guestEmail, password: 'violet tangerine harbour 42' }, { cookie: device });
    expect(json(trusted).mfaRequired).toBe(false);
    // Positive control: without the device cookie it is still required.
    expect(json(await anon.post('/api/auth/sign-in', { email: guestEmail, password: 'violet tangerine harbour 42' })).mfaRequired).toBe(true);

    // Guests never see the member list, invitations or settings.
    const guestSession = caller(t.app, sessionCookieOf(trusted) + '; ' + device);
    expectProblem(await guestSession.get(`/api/workspaces/${ws.id}/members`), 403, 'forbidden');
    expectProblem(await guestSession.get(`/api/workspaces/${ws.id}/invitations`), 403, 'forbidden');
    expect(json(await guestSession.get(`/api/workspaces/${ws.id}`)).settings).toBeNull();
    const devices = json(await guestSession.get('/api/me/devices')).items;
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({ status: 'approved', current: true });
  });
});
