import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SECOND } from '../../src/app/context.js';
import { totpCode } from '../../src/modules/mfa/totp.js';
import { caller, json, type TestApp } from '../helpers/app.js';
import { createUser, createWorkspace, PASSWORD, sessionCookieOf, signIn, uniqueEmail, type TestUser } from '../factories.js';
import { CHROMIUM, expectAccessible, launchChromium, openPage, REQUIRE_BROWSER, screenshot, startServer, waitForMail as waitForMailIn, type DevMail, type FlowingClock } from './browser.js';

/**
 * Seed 001 end to end in Chromium: a host admin invites a guest in the UI; the guest reads the
 * mail (username, temporary password, "Join as a guest"), signs in with the temporary password,
 * sets their own password and name, accepts the terms, enrols TOTP (code computed here), trusts
 * the browser, and the next sign-in skips the second step. Each page gets a screenshot + axe scan.
 */
const RUN = !!CHROMIUM || REQUIRE_BROWSER;


// A browser step on a loaded 2-core machine can take seconds: generous limits, the steps still wait for exact states.
describe.skipIf(!RUN)('web app in Chromium: a guest joins (seed 001)', { timeout: 120_000 }, () => {
  let t: TestApp;
  let base: string;
  let clock: FlowingClock;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let host: TestUser;
  let workspaceId: string;
  const WORKSPACE = 'Northwind Host';
  const guestEmail = uniqueEmail('guest').replace(/@.*/, '@partner-example.org');
  const NEW_PASSWORD = 'guest own passphrase 4271';
  let temporary = '';
  let joinLink = '';
  let secret = '';
  let guestPage: Page;
  let hostPage: Page;

  const newPage = async (): Promise<Page> => (await openPage(browser, contexts)).page;

  async function check(page: Page, name: string) {
    await expectAccessible(page, `guest-${name}`);
    await screenshot(page, `guest-${name}`);
  }

  async function signInThroughUi(page: Page, email: string, password: string) {
    await page.goto(`${base}/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  const waitForMail = (to: string, match?: (m: DevMail) => boolean) => waitForMailIn(t, base, to, match);

  // The steps build on each other: after the first failure the rest are skipped, not timed out.
  let broken = false;
  beforeEach((ctx) => {
    if (broken) ctx.skip();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    broken = true;
    for (const [i, c] of contexts.entries()) for (const p of c.pages()) await screenshot(p, `FAILED-guest-${i}`).catch(() => {});
  });

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error('REQUIRE_BROWSER=1 but Chromium is not installed (apt-get install -y chromium)');
    ({ t, base, clock } = await startServer());
    browser = await launchChromium();
    host = await createUser(t, { name: 'Hana Host' });
    workspaceId = (await createWorkspace(host, WORKSPACE)).id;
    // The workspace has terms and asks guests for two-step verification (set up through the API).
    const terms = await host.api.put(`/api/workspaces/${workspaceId}/terms`, { text: 'Guest terms: use shared data only for the project.' });
    expect(terms.statusCode, terms.body).toBe(200);
    const mfa = await host.api.patch(`/api/workspaces/${workspaceId}`, { mfaRequirement: 'guests' });
    expect(mfa.statusCode, mfa.body).toBe(200);
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await t?.close();
  });

  it('the host admin invites a guest from Members → Invite people → Guest; the mail has username, temporary password and "Join as a guest"', async () => {
    const page = (hostPage = await newPage());
    await signInThroughUi(page, host.email, PASSWORD);
    await page.waitForURL(new RegExp(`/w/${workspaceId}/members$`));
    await page.getByRole('button', { name: 'Invite people' }).click();
    const dialog = page.getByRole('dialog', { name: `Invite people to ${WORKSPACE}` });
    await dialog.waitFor();
    const field = dialog.getByTestId('email-chips-field');
    await field.pressSequentially(guestEmail);
    await field.press('Enter');
    await dialog.getByRole('combobox', { name: 'Role', exact: true }).click();
    await page.getByRole('option', { name: 'Guest', exact: true }).click();
    await dialog.getByTestId('guest-invite-note').waitFor();
    await check(page, 'invite-dialog');
    await dialog.getByRole('button', { name: 'Send invitations' }).click();
    await dialog.getByText(guestEmail).first().waitFor();

    const mail = await waitForMail(guestEmail, (m) => /Temporary password/.test(m.text));
    expect(mail.text).toContain(`Username: ${guestEmail}`);
    expect(mail.text).toContain(WORKSPACE);
    expect(mail.text).toContain('Join as a guest');
    temporary = /Temporary password: (\S+)/.exec(mail.text)![1]!;
    expect(temporary.length).toBeGreaterThanOrEqual(16);
    joinLink = /https?:\/\/\S+\/invite\/[A-Za-z0-9_-]+/.exec(mail.text)![0];
  });

  it('T-GUEST-04 (UI): in a fresh browser the guest opens the link, signs in with the temporary password, and must set a password and name first', async () => {
    guestPage = await newPage();
    const page = guestPage;
    await page.goto(joinLink);
    await page.getByRole('heading', { name: `Join ${WORKSPACE}` }).waitFor();
    await check(page, 'join-link');
    await page.getByText('I already have an account').click();
    await page.getByLabel('Email').fill(guestEmail);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(temporary);
    await page.getByRole('button', { name: 'Sign in and join' }).click();

    await page.getByRole('heading', { name: 'Finish setting up your account' }).waitFor();
    await check(page, 'set-password');
    await page.getByLabel('First name').fill('Gita');
    await page.getByLabel('Family name').fill('Guest');
    await page.getByRole('textbox', { name: 'New password', exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('New password again').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Save and continue' }).click();

    // Setting the password joins the inviting workspace: the guest lands in it.
    await page.waitForURL(new RegExp(`/w/${workspaceId}/members$`));
    // The temporary password no longer signs in (the new one does: the browser signs in with it below).
    expect((await caller(t.app).post('/api/auth/sign-in', { email: guestEmail, password: temporary })).statusCode).toBe(401);
  });

  it('accepts the terms of service, then enrols TOTP with the code computed from the key on the page', async () => {
    const page = guestPage;
    await page.getByRole('heading', { name: `Before you use ${WORKSPACE}` }).waitFor();
    await page.getByText('Guest terms: use shared data only for the project.').waitFor();
    await check(page, 'terms');
    await page.getByRole('button', { name: 'I accept these terms' }).click();

    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    expect(await page.getByRole('img', { name: /QR code/ }).getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await check(page, 'mfa-enrol');
    await page.getByLabel('2. Enter the 6-digit code from the app').fill(totpCode(secret, clock.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('Two-step verification is on').waitFor();
    expect(await page.getByTestId('recovery-codes').getByRole('listitem').count()).toBe(10);
    await check(page, 'recovery-codes');
    await page.getByRole('button', { name: /I saved them/ }).click();
    await page.getByText('does not show the member list').waitFor();
  });

  it('T-MFA-07 (UI): trusts this browser on the Security page, signs out, and signs in again without the second step', async () => {
    const page = guestPage;
    await page.getByRole('button', { name: /Account menu for/ }).click();
    await page.getByRole('menuitem', { name: 'Security' }).click();
    await page.waitForURL(/\/security$/);
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await page.getByRole('button', { name: 'Trust this browser' }).click();
    await page.getByText('(this device)').waitFor();
    await page.getByRole('table', { name: 'Sessions' }).getByText('(this session)').waitFor();
    await check(page, 'security');

    await page.getByRole('button', { name: /Account menu for/ }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    clock.advance(30 * SECOND);
    await signInThroughUi(page, guestEmail, NEW_PASSWORD);
    // No "Two-step verification" step: straight into the workspace.
    await page.waitForURL(new RegExp(`/w/${workspaceId}/members$`));
    await page.getByText('does not show the member list').waitFor();
    expect(await page.getByRole('heading', { name: 'Two-step verification' }).count()).toBe(0);
    await screenshot(page, 'guest-signed-in-again');

    // Positive control: a fresh browser (not trusted) is asked for the code.
    const other = await newPage();
    await signInThroughUi(other, guestEmail, NEW_PASSWORD);
    await other.getByRole('heading', { name: 'Two-step verification' }).waitFor();
  });

  it('T-MFA-06/T-SESS-04 (UI): Security page: new recovery codes after password + code (a wrong code is refused), sign out another session, remove this trusted device', async () => {
    const page = guestPage;
    await page.goto(`${base}/security`);
    await page.getByText('10 of 10 recovery codes left').waitFor();
    await page.getByRole('button', { name: 'New recovery codes' }).click();
    const dialog = page.getByRole('dialog', { name: 'Replace your recovery codes?' });
    await dialog.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await dialog.getByLabel('Code from your app (or a recovery code)').fill('000000');
    await dialog.getByRole('button', { name: 'Replace codes' }).click();
    await dialog.getByRole('alert').waitFor();
    await check(page, 'security-reauth');
    clock.advance(30 * SECOND);
    await dialog.getByLabel('Code from your app (or a recovery code)').fill(totpCode(secret, clock.now()));
    await dialog.getByRole('button', { name: 'Replace codes' }).click();
    await dialog.getByText('New recovery codes').waitFor();
    expect(await dialog.getByTestId('new-recovery-codes').getByRole('listitem').count()).toBe(10);
    await dialog.getByRole('button', { name: 'I saved them' }).click();

    // Another session of the guest (a second browser): signed out from here.
    const other = await newPage();
    await signInThroughUi(other, guestEmail, NEW_PASSWORD);
    await other.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    clock.advance(30 * SECOND);
    await other.getByLabel('Code', { exact: true }).fill(totpCode(secret, clock.now()));
    await other.getByRole('button', { name: 'Verify' }).click();
    await other.waitForURL(new RegExp(`/w/${workspaceId}/members$`));
    await page.reload();
    const sessions = page.getByRole('table', { name: 'Sessions' });
    await sessions.getByRole('button', { name: 'Sign out' }).first().waitFor();
    // Sign out every other session, one by one, each after a confirm.
    for (let left = await sessions.getByRole('button', { name: 'Sign out' }).count(); left > 0; left--) {
      await sessions.getByRole('button', { name: 'Sign out' }).first().click();
      await page.getByRole('dialog', { name: 'Sign out this session?' }).getByRole('button', { name: 'Sign out' }).click();
      await expect.poll(() => sessions.getByRole('button', { name: 'Sign out' }).count(), { timeout: 30_000 }).toBe(left - 1);
    }
    await sessions.getByText('(this session)').waitFor();
    // That browser is signed out: its next page load goes to the sign-in page.
    await other.reload();
    await other.waitForURL(/\/sign-in/);

    // Remove this browser from the trusted devices: it shows as Removed and can be trusted again.
    await page.getByRole('button', { name: /^Remove / }).first().click();
    await page.getByRole('dialog', { name: /^Remove / }).getByRole('button', { name: 'Remove device' }).click();
    await page.getByRole('table', { name: 'Trusted devices' }).getByText('Removed').waitFor();
    await page.getByRole('button', { name: 'Trust this browser' }).waitFor();
    await check(page, 'security-after');
  });

  it('device approval required: "Trust this browser" makes a pending device; a wrong code is refused, the emailed code (after a resend) approves it', async () => {
    const res = await host.api.patch(`/api/workspaces/${workspaceId}`, { deviceApprovalRequired: true });
    expect(res.statusCode, res.body).toBe(200);
    const page = guestPage;
    await page.goto(`${base}/security`);
    await page.getByRole('button', { name: 'Trust this browser' }).click();
    const devices = page.getByRole('table', { name: 'Trusted devices' });
    await devices.getByText('Pending approval').waitFor();
    const codeOf = (m: DevMail) => /device code: (\d{6})/.exec(m.subject)?.[1];
    const firstCode = codeOf(await waitForMail(guestEmail, (m) => !!codeOf(m)))!;
    await devices.getByRole('button', { name: 'Resend code' }).click();
    await devices.getByText('A new code was sent to your email.').waitFor();
    const code = codeOf(await waitForMail(guestEmail, (m) => !!codeOf(m) && codeOf(m) !== firstCode))!;

    await devices.getByRole('button', { name: 'Approve' }).click();
    const dialog = page.getByRole('dialog', { name: /^Approve / });
    await dialog.getByLabel('Code from the email').fill(code === '000000' ? '111111' : '000000');
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await dialog.getByRole('alert').waitFor();
    await check(page, 'device-approve');
    await dialog.getByLabel('Code from the email').fill(code);
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await devices.getByText('Approved').waitFor();
    expect(await devices.getByText('Pending approval').count()).toBe(0);
  });

  it('T-GUEST-06/T-GUEST-07 (UI): Partners view: the host admin creates a local partner (same-domain Guest Admin refused with the reason), sees its pending Guest Admin invitation, resends it (old temporary password dead); the Guest Admin joins, shows in the Guests tab with the partner, invites Guest Users only; removing the partner cuts their access', async () => {
    const page = hostPage;
    await page.goto(`${base}/w/${workspaceId}/members`);
    await page.getByRole('link', { name: 'Partners' }).click();
    await page.getByRole('heading', { name: 'Local partners' }).waitFor();
    await page.getByRole('button', { name: 'Create a partner' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a local partner' });
    await dialog.getByLabel('Partner name').fill('Contoso Partners');
    const hostDomain = host.email.split('@')[1]!;
    await dialog.getByLabel('Guest Admin email').fill(`gadmin@${hostDomain}`);
    await dialog.getByRole('button', { name: 'Create and invite' }).click();
    await dialog.getByText('The Guest Admin must use a different email domain from the host admin').waitFor();
    await check(page, 'partner-create');
    const adminEmail = uniqueEmail('gadmin').replace(/@.*/, '@contoso-example.net');
    await dialog.getByLabel('Guest Admin email').fill(adminEmail);
    await dialog.getByRole('button', { name: 'Create and invite' }).click();
    await page.getByRole('heading', { name: 'Contoso Partners' }).waitFor();
    const row = page.getByTestId(`partner-invitation-${adminEmail}`);
    await row.getByText('Guest Admin').waitFor();
    const firstMail = await waitForMail(adminEmail, (m) => /Temporary password/.test(m.text));
    // Right after sending, a resend is refused (cooldown) and the reason is shown; a minute later it works.
    await row.getByRole('button', { name: 'Resend' }).click();
    await row.getByText('Wait a moment before sending this invitation again').waitFor();
    clock.advance(61 * SECOND);
    await row.getByRole('button', { name: 'Resend' }).click();
    await row.getByText(/Sent again to/).waitFor();
    await check(page, 'partner-detail');

    // The Guest Admin joins through the API with the newest temporary password (terms + TOTP done there too).
    await waitForMail(adminEmail, (m) => /Temporary password/.test(m.text) && m.text !== firstMail.text);
    const mails = ((await (await fetch(`${base}/api/dev/mailbox?to=${encodeURIComponent(adminEmail)}&limit=50`)).json()) as { items: DevMail[] }).items.filter((m) => /Temporary password/.test(m.text));
    expect(mails.length).toBe(2);
    // Resending killed the first temporary password: exactly one of the two still signs in.
    const results = [];
    for (const m of mails) {
      const temp = /Temporary password: (\S+)/.exec(m.text)![1]!;
      const res = await caller(t.app).post('/api/auth/sign-in', { email: adminEmail, password: temp });
      results.push({ status: res.statusCode, cookie: res.statusCode === 200 ? sessionCookieOf(res) : null });
    }
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    const first = caller(t.app, results.find((r) => r.cookie)!.cookie!);
    const setup = await first.post('/api/me/complete-setup', { newPassword: NEW_PASSWORD, name: 'Gus', familyName: 'Admin' });
    expect(setup.statusCode, setup.body).toBe(200);
    const gadmin = await signIn(t, adminEmail, NEW_PASSWORD);
    const terms = json(await gadmin.api.get(`/api/workspaces/${workspaceId}/terms`));
    expect((await gadmin.api.post(`/api/workspaces/${workspaceId}/terms/accept`, { version: terms.version })).statusCode).toBe(200);
    const gSecret = json(await gadmin.api.post('/api/me/mfa/totp', {})).secret as string;
    clock.advance(30 * SECOND);
    const enrolled = await gadmin.api.post('/api/me/mfa/totp/confirm', { code: totpCode(gSecret, clock.now()) });
    expect(enrolled.statusCode, enrolled.body).toBe(200);

    // The host sees the Guest Admin under Guests with the partner's name and role.
    await page.goto(`${base}/w/${workspaceId}/members?tab=guests`);
    await page.getByTestId(`member-row-${adminEmail}`).getByTestId('member-partner').getByText('Contoso Partners · Guest Admin').waitFor();
    await check(page, 'guests-tab');

    // The Guest Admin, in the browser: Partners is in the nav; they invite Guest Users only.
    const gPage = await newPage();
    await signInThroughUi(gPage, adminEmail, NEW_PASSWORD);
    await gPage.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    clock.advance(30 * SECOND);
    await gPage.getByLabel('Code', { exact: true }).fill(totpCode(gSecret, clock.now()));
    await gPage.getByRole('button', { name: 'Verify' }).click();
    await gPage.waitForURL(new RegExp(`/w/${workspaceId}/members$`));
    await gPage.getByRole('link', { name: 'Partners' }).click();
    await gPage.getByRole('link', { name: 'Contoso Partners' }).click();
    await gPage.getByTestId(`partner-guest-${adminEmail}`).getByText('(you)').waitFor();
    expect(await gPage.getByRole('button', { name: 'Remove partner' }).count()).toBe(0);
    await gPage.getByRole('button', { name: 'Invite guests' }).click();
    const inviteDialog = gPage.getByRole('dialog', { name: 'Invite guests to Contoso Partners' });
    expect(await inviteDialog.getByRole('textbox', { name: 'Partner role' }).or(inviteDialog.getByLabel('Partner role')).first().inputValue()).toBe('Guest User');
    const userEmail = uniqueEmail('guser').replace(/@.*/, '@contoso-example.net');
    await inviteDialog.getByLabel('Email addresses').fill(userEmail);
    await inviteDialog.getByRole('button', { name: 'Send invitations' }).click();
    await inviteDialog.getByText(`Invited: ${userEmail}`, { exact: false }).waitFor();
    await check(gPage, 'guest-admin-invite');
    await inviteDialog.getByRole('button', { name: 'Done' }).click();
    await gPage.getByTestId(`partner-invitation-${userEmail}`).getByText('Guest User').waitFor();

    await page.getByRole('link', { name: 'Partners' }).click();
    await page.getByTestId('partner-row-Contoso Partners').getByRole('cell', { name: '1' }).first().waitFor(); // 1 Guest Admin
    await check(page, 'partners');
    await page.getByRole('link', { name: 'Contoso Partners' }).click();
    await page.getByRole('button', { name: 'Remove partner' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove Contoso Partners?' });
    await confirm.getByText(/loses access to/).waitFor();
    await confirm.getByRole('button', { name: 'Remove partner' }).click();
    await page.getByRole('heading', { name: 'Local partners' }).waitFor();
    await page.getByText('No local partners yet').waitFor();
    // Its guests lost access at once: the Guest Admin's next call is refused.
    const after = await gadmin.api.get(`/api/workspaces/${workspaceId}/local-partners`);
    expect(after.statusCode, after.body).toBe(404);
  });

  it('T-MFA-06 (UI): Security page for a host member: turn two-step verification on (QR + key), then off again with password + code', async () => {
    const page = hostPage;
    await page.goto(`${base}/security`);
    await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const hostSecret = (await page.getByTestId('totp-secret').textContent())!.trim();
    await page.getByLabel('2. Enter the 6-digit code from the app').fill(totpCode(hostSecret, clock.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('Two-step verification is on').waitFor();
    expect(await page.getByTestId('recovery-codes').getByRole('listitem').count()).toBe(10);
    await page.getByRole('button', { name: 'I saved them' }).click();
    await page.getByText('10 of 10 recovery codes left').waitFor();

    await page.getByRole('button', { name: 'Turn off' }).click();
    const dialog = page.getByRole('dialog', { name: 'Turn off two-step verification?' });
    await dialog.getByLabel('Password', { exact: true }).fill('not my password at all');
    clock.advance(30 * SECOND);
    await dialog.getByLabel('Code from your app (or a recovery code)').fill(totpCode(hostSecret, clock.now()));
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(json(await host.api.get('/api/me/mfa')).enabled).toBe(true); // refused: still on
    await dialog.getByLabel('Password', { exact: true }).fill(PASSWORD);
    clock.advance(30 * SECOND);
    await dialog.getByLabel('Code from your app (or a recovery code)').fill(totpCode(hostSecret, clock.now()));
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    await page.getByRole('button', { name: 'Turn on two-step verification' }).waitFor();
    expect(json(await host.api.get('/api/me/mfa')).enabled).toBe(false);
  });
});
