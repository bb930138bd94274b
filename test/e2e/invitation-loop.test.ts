import { sql } from 'drizzle-orm';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SECOND } from '../../src/app/context.js';
import type { TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, PASSWORD, signIn, type TestUser } from '../factories.js';
import { CHROMIUM, DOCS_SCREENSHOTS, expectAccessible, FlowingClock, focusedText, launchChromium, openPage, REQUIRE_BROWSER, screenshot, SCREENSHOTS, startServer, waitForMail as waitForMailIn, type AxeReport, type DevMail } from './browser.js';

/**
 * The whole invitation loop of issue 4, in Debian Chromium against a real server (real database,
 * real outbox and dev mailbox, the built web app). Every page visited gets an axe scan.
 */
const RUN = !!CHROMIUM || REQUIRE_BROWSER;
/** vitest's expect.poll gives up after 1 s by default: too short on a loaded 2-core CI machine. */
const POLL = { timeout: 30_000, interval: 100 };
const suffix = Math.random().toString(36).slice(2, 8);
const mail = (name: string) => `${name}-${suffix}@example.test`;

const OWNER = { name: 'Olivia Owner', email: mail('olivia'), password: 'orchard lantern 2026' };
const NEWCOMER = { name: 'Nina Newcomer', email: mail('nina'), password: 'violet harbour 2026' };
const EXISTING = { name: 'Eve Existing', email: mail('eve') };
const DECLINER = mail('declan');
const REVOKED = mail('rita');
const WORKSPACE = 'Acme Robotics';


// A browser step on a loaded 2-core machine can take seconds: generous limits, the steps still wait for exact states.
describe.skipIf(!RUN)('web app in Chromium: the invitation loop (issue 4)', { timeout: 120_000 }, () => {
  let t: TestApp;
  let clock: FlowingClock;
  let base: string;
  let browser: Browser;
  let owner: { context: BrowserContext; page: Page };
  let workspaceId = '';
  let declanFirstLink = '';
  const axeReports: AxeReport[] = [];
  const contexts: BrowserContext[] = [];

  const newPage = (opts: { fakeClock?: boolean } = {}) => openPage(browser, contexts, opts);

  async function check(page: Page, name: string, opts: { shot?: boolean; exclude?: string[] } = {}) {
    axeReports.push(await expectAccessible(page, name, { exclude: opts.exclude ?? [] }));
    if (opts.shot !== false) await screenshot(page, name);
  }

  const waitForMail = (to: string, match?: (m: DevMail) => boolean) => waitForMailIn(t, base, to, match);

  const linkIn = (m: DevMail, kind: 'invite' | 'verify-email') => {
    const url = new RegExp(`https?://[^\\s]+/${kind}/[A-Za-z0-9_-]+`).exec(m.text)?.[0];
    if (!url) throw new Error(`no ${kind} link in "${m.subject}"`);
    return url;
  };

  const invitationLink = async (to: string, not: string[] = []) => {
    const m = await waitForMail(to, (x) => /\/invite\//.test(x.text) && !not.includes(linkIn(x, 'invite')));
    return linkIn(m, 'invite');
  };

  /** Opens a Mantine Select by its label and returns the option texts offered. */
  async function selectOptions(page: Page, scope: Page | Locator, label: string): Promise<string[]> {
    await scope.getByRole('combobox', { name: label, exact: true }).click();
    const listbox = page.getByRole('listbox');
    await listbox.waitFor();
    return (await listbox.getByRole('option').allTextContents()).map((s) => s.trim());
  }

  async function pick(page: Page, label: string, option: string) {
    await page.getByRole('combobox', { name: label, exact: true }).click();
    await page.getByRole('option', { name: option, exact: true }).click();
  }

  async function invitationRow(page: Page, email: string) {
    const row = page.getByTestId(`invitation-row-${email}`);
    await row.waitFor();
    return row;
  }

  // The steps build on each other: after the first failure the rest are skipped, not timed out.
  let broken = false;
  beforeEach((ctx) => {
    if (broken) ctx.skip();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    broken = true;
    // Evidence for the report: what every open page showed when the step failed.
    for (const [i, c] of contexts.entries()) for (const p of c.pages()) await screenshot(p, `FAILED-${i}`).catch(() => {});
  });

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error('REQUIRE_BROWSER=1 but Chromium is not installed (apt-get install -y chromium)');
    ({ t, base, clock } = await startServer());
    browser = await launchChromium();
    owner = await newPage({ fakeClock: true });
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await t?.close();
    if (axeReports.length) {
      const minor = axeReports.flatMap((r) => r.violations.map((v) => `${r.page}: ${v.id} (${v.impact})`));
      console.info(`axe: ${axeReports.length} pages scanned, 0 serious/critical; minor/moderate: ${minor.length ? minor.join('; ') : 'none'}`);
    }
  });

  it('owner signs up (202, then signed in automatically), creates a workspace, and invites from the first-run step', async () => {
    const { page } = owner;
    await page.goto(`${base}/`);
    await page.waitForURL(/\/sign-in/);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in to Gatehouse' }).isVisible(), POLL).toBe(true);
    await check(page, 'sign-in');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();

    // Validation before sending: nothing reaches the server with a short password.
    await page.getByLabel('Your name').fill(OWNER.name);
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Use at least 12 characters').waitFor();
    await check(page, 'sign-up-validation');
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(OWNER.password);
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.waitForURL(/\/welcome$/);
    await page.getByRole('heading', { name: `Welcome, ${OWNER.name}` }).waitFor();
    await page.getByText('Verify your email address').first().waitFor(); // the banner while unverified
    await check(page, 'welcome');
    await page.getByRole('button', { name: 'Resend the email' }).click();
    await page.getByRole('button', { name: 'Sent, check your inbox' }).waitFor();

    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByText('Enter a name').waitFor();
    await page.getByLabel('Workspace name').fill(WORKSPACE);
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByText(`${WORKSPACE} is ready`).waitFor();

    // Skyone: paste the team's addresses right away.
    const field = page.getByTestId('email-chips-field');
    await field.focus();
    // A real paste event (clipboard data, not typing) carrying a newline-separated list.
    await field.evaluate((el, text) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const w = globalThis as any;
      const data = new w.DataTransfer();
      data.setData('text', text);
      el.dispatchEvent(new w.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, `${DECLINER}\n${REVOKED}`);
    await expect.poll(() => page.getByText('2 addresses, all valid.').isVisible(), POLL).toBe(true);
    await check(page, 'welcome-invite-team');
    await page.getByRole('button', { name: 'Send invitations' }).click();
    await page.getByText('Invited 2 people').waitFor();
    await page.getByRole('button', { name: `Go to ${WORKSPACE}` }).click();
    await page.waitForURL(/\/w\/[0-9a-f-]{36}\/members$/);
    workspaceId = /\/w\/([0-9a-f-]{36})\//.exec(page.url())![1]!;
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByTestId(`member-row-${OWNER.email}`).getByText('Active').waitFor();
    declanFirstLink = await invitationLink(DECLINER);
  });

  it('owner adds locations, then invites two emails with locations: chips validated on the spot, only grantable roles, skipped reasons', async () => {
    const { page } = owner;
    await page.getByRole('link', { name: 'Locations' }).click();
    await page.getByRole('heading', { name: 'Locations' }).waitFor();
    await page.getByText('No locations yet').waitFor();
    await check(page, 'locations-empty', { shot: false });
    for (const name of ['Riga', 'Tallinn']) {
      await page.getByLabel('New location').fill(name);
      await page.getByRole('button', { name: 'Add location' }).click();
      await page.getByRole('cell', { name, exact: true }).waitFor();
    }
    await check(page, 'locations');

    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('button', { name: 'Invite people' }).click();
    const dialog = page.getByRole('dialog', { name: `Invite people to ${WORKSPACE}` });
    await dialog.waitFor();
    const field = dialog.getByTestId('email-chips-field');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await expect.poll(() => page.evaluate(() => !!(globalThis as any).document.activeElement?.closest('[role=dialog]')), POLL).toBe(true); // focus moved into the dialog
    await field.pressSequentially(`${NEWCOMER.email} `);
    await field.pressSequentially(`${EXISTING.email}, not-an-email,${DECLINER}`);
    await field.press('Enter');
    await dialog.getByText('4 addresses, 1 to fix or remove (shown in red).').waitFor();
    expect(await dialog.locator('[data-invalid="true"]').allTextContents()).toEqual(['not-an-email (not a valid address)']);

    // Role ceiling, positive control: the owner is offered super admin, and never "owner".
    expect(await selectOptions(page, dialog, 'Role')).toEqual(['Super admin', 'Administrator', 'User', 'Login only', 'Guest']);
    await page.getByRole('option', { name: 'User', exact: true }).click();
    await dialog.getByLabel('Locations', { exact: true }).click();
    await page.getByRole('option', { name: 'Riga' }).click();
    await page.getByRole('option', { name: 'Tallinn' }).click();
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Send invitations' }).click();
    await dialog.getByText('Fix or remove 1 address shown in red').waitFor(); // refused before sending
    await check(page, 'invite-dialog');
    await dialog.getByRole('button', { name: 'Remove it' }).click();
    await dialog.getByText('3 addresses, all valid.').waitFor();
    await screenshot(page, 'invite-dialog-ready');
    copyDoc('invite-dialog-ready', 'invite-dialog.png');
    await dialog.getByRole('button', { name: 'Send invitations' }).click();
    await dialog.getByText('Invited 2 people').waitFor();
    const skipped = dialog.getByTestId('skipped-table');
    await skipped.getByRole('cell', { name: DECLINER }).waitFor();
    await skipped.getByRole('cell', { name: 'Already has a pending invitation' }).waitFor();
    await check(page, 'invite-summary');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // Focus returns to the control that opened the dialog.
    await expect.poll(() => focusedText(page), POLL).toBe('Invite people');

    await page.getByRole('tab', { name: 'Invitations' }).click();
    const row = await invitationRow(page, NEWCOMER.email);
    await row.getByText('Riga, Tallinn').waitFor();
    await row.getByText('Pending').waitFor();
    expect(await page.locator('[data-testid^="invitation-row-"]').count()).toBe(4);
    await check(page, 'members-invitations');
  });

  it('newcomer opens the link read from the dev mailbox, registers with the locked address, and lands in the workspace', async () => {
    const link = await invitationLink(NEWCOMER.email);
    const { page } = await newPage();
    await page.goto(link);
    await page.getByRole('heading', { name: `Join ${WORKSPACE}` }).waitFor();
    await page.getByRole('cell', { name: OWNER.name }).waitFor();
    const locked = page.getByRole('textbox', { name: 'Email' });
    expect(await locked.inputValue()).toMatch(/^n•+@example\.test$/);
    expect(await locked.isEditable()).toBe(false); // shown, locked: the sign-up sends no email at all
    await check(page, 'invite-landing');
    await screenshot(page, 'invite-landing-full', { fullPage: true });
    copyDoc('invite-landing-full', 'invitation-landing.png');

    await page.getByLabel('Your name').fill(NEWCOMER.name);
    await page.getByRole('textbox', { name: 'Choose a password' }).fill(NEWCOMER.password);
    const signUp = page.waitForRequest((r) => r.url().endsWith('/api/auth/sign-up'));
    await page.getByRole('button', { name: 'Create account and join' }).click();
    const body = (await signUp).postDataJSON() as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['invitationToken', 'name', 'password']); // the invitation decides the address
    await page.waitForURL(new RegExp(`/w/${workspaceId}/members$`));
    await page.getByRole('button', { name: /Switch workspace \(current: Acme Robotics\)/ }).waitFor();
    await page.getByTestId(`member-row-${NEWCOMER.email}`).getByText('Riga, Tallinn').waitFor();
    // The invitation proved the address: no verification banner.
    await expect.poll(() => page.getByText('Verify your email address').count(), POLL).toBe(0);
    await check(page, 'newcomer-members');
  });

  it('an existing user accepts by signing in on the landing page, then accepts a second workspace from the inbox', async () => {
    const eve = await createUser(t, { email: EXISTING.email, name: EXISTING.name });
    const link = await invitationLink(EXISTING.email);
    const { page } = await newPage();
    await page.goto(link);
    await page.getByRole('heading', { name: `Join ${WORKSPACE}` }).waitFor();
    await page.getByText('I already have an account', { exact: true }).click();
    expect(await page.getByRole('radio', { name: 'I already have an account' }).isChecked()).toBe(true);
    await page.getByLabel('Email').fill(EXISTING.email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await check(page, 'invite-landing-sign-in');
    await page.getByRole('button', { name: 'Sign in and join' }).click();
    await page.waitForURL(new RegExp(`/w/${workspaceId}/members$`));
    await page.getByTestId(`member-row-${EXISTING.email}`).getByText('Active').waitFor();

    // A second workspace invites Eve: it shows in her pending invitations inbox.
    const other = await createUser(t, { name: 'Bea Beta' });
    const beta = await createWorkspace(other, 'Beta Labs');
    const res = await other.api.post(`/api/workspaces/${beta.id}/invitations`, { emails: [eve.email], role: 'admin' });
    expect(res.statusCode, res.body).toBe(201);
    await page.reload();
    await page.getByRole('link', { name: /^Invitations/ }).click();
    await page.getByRole('heading', { name: 'Pending invitations' }).waitFor();
    const card = page.getByTestId('inbox-Beta Labs');
    await card.getByText('Bea Beta invited you as Administrator').waitFor();
    await check(page, 'inbox');
    await card.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(new RegExp(`/w/${beta.id}/members$`));
    await page.getByRole('button', { name: /Switch workspace/ }).click();
    const menu = page.getByRole('menu');
    await menu.getByRole('menuitem', { name: /Acme Robotics/ }).waitFor();
    await menu.getByRole('menuitem', { name: /Beta Labs/ }).waitFor();
    await check(page, 'workspace-switcher');
    await menu.getByRole('menuitem', { name: /Acme Robotics/ }).click();
    await page.waitForURL(new RegExp(`/w/${workspaceId}/members$`));

    // Signed in with the invited address, a link offers "Accept and join" directly.
    const gamma = await createWorkspace(other, 'Gamma Works');
    const g = await other.api.post(`/api/workspaces/${gamma.id}/invitations`, { emails: [eve.email], role: 'user' });
    expect(g.statusCode, g.body).toBe(201);
    await page.goto(await invitationLink(EXISTING.email, [link]));
    await page.getByRole('heading', { name: 'Join Gamma Works' }).waitFor();
    await page.getByText(`You are signed in as ${EXISTING.email}`).waitFor();
    await check(page, 'invite-landing-signed-in', { shot: false });
    await page.getByRole('button', { name: 'Accept and join' }).click();
    await page.waitForURL(new RegExp(`/w/${gamma.id}/members$`));
    await page.getByRole('button', { name: /Switch workspace \(current: Gamma Works\)/ }).waitFor();
  });

  it('owner resends (cooldown shown from resendAvailableAt, then a new link); the old link says "replaced"', async () => {
    const { page, context } = owner;
    // The cooldown runs from the last send, and earlier steps may have taken a minute on a loaded
    // machine: the send is moved to now (server clock, which the browser's follows), and the page reloaded.
    await t.deps.db.execute(sql`update invitations set last_sent_at = ${clock.now().toISOString()}::timestamptz where workspace_id = ${workspaceId} and email = ${DECLINER}`);
    await page.reload();
    await page.getByRole('tab', { name: 'Invitations' }).click();
    let row = await invitationRow(page, DECLINER);
    // Keyboard: open the row menu with Enter, read the cooldown, close it with Escape.
    await row.getByRole('button', { name: `Actions for the invitation to ${DECLINER}` }).focus();
    await page.keyboard.press('Enter');
    const cooling = page.getByRole('menuitem', { name: /Resend \(available in \d/ });
    await cooling.waitFor();
    expect(await cooling.isDisabled()).toBe(true);
    await expect.poll(() => focusedText(page), POLL).toBe('Revoke invitation'); // focus moved into the menu
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'hidden' });

    // A minute later (server and browser clocks alike), the resend is offered.
    clock.advance(61 * SECOND);
    await context.clock.fastForward(61 * SECOND);
    row = await invitationRow(page, DECLINER);
    await row.getByRole('button', { name: `Actions for the invitation to ${DECLINER}` }).click();
    await page.getByRole('menuitem', { name: 'Resend invitation' }).click();
    await row.getByText('New link sent').waitFor();
    await row.getByText('Sent 2 times').waitFor();
    await check(page, 'members-after-resend', { shot: false });

    const { page: stale } = await newPage();
    await stale.goto(declanFirstLink);
    await stale.getByRole('heading', { name: 'A newer invitation was sent' }).waitFor();
    await check(stale, 'invite-replaced');
  });

  it('owner revokes with a confirmation; the revoked link says it was withdrawn', async () => {
    const { page } = owner;
    const link = await invitationLink(REVOKED);
    const row = await invitationRow(page, REVOKED);
    await row.getByRole('button', { name: `Actions for the invitation to ${REVOKED}` }).click();
    await page.getByRole('menuitem', { name: 'Revoke invitation' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke this invitation?' });
    await confirm.waitFor();
    await expect.poll(() => focusedText(page), POLL).toBe('Cancel'); // the safe choice has focus
    await check(page, 'revoke-confirm');
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await row.getByText('Revoked').waitFor();

    const { page: visitor } = await newPage();
    await visitor.goto(link);
    await visitor.getByRole('heading', { name: 'This invitation was withdrawn' }).waitFor();
    await check(visitor, 'invite-revoked');
  });

  it('the third invitee declines from the new link; the owner sees Declined; the link then says declined', async () => {
    const link = await invitationLink(DECLINER, [declanFirstLink]);
    const { page } = await newPage();
    await page.goto(link);
    await page.getByRole('heading', { name: `Join ${WORKSPACE}` }).waitFor();
    await page.getByRole('button', { name: 'Decline this invitation' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Decline invitation' }).click();
    await page.getByRole('heading', { name: 'Invitation declined' }).waitFor();
    await check(page, 'invite-declined-done');
    await page.reload();
    await page.getByRole('heading', { name: 'This invitation was declined' }).waitFor();
    await check(page, 'invite-declined-link', { shot: false });

    await owner.page.reload();
    const row = await invitationRow(owner.page, DECLINER);
    await row.getByText('Declined').waitFor();
    const used = await invitationLink(NEWCOMER.email);
    await page.goto(used);
    await page.getByRole('heading', { name: 'This invitation has already been used' }).waitFor();
    await check(page, 'invite-used', { shot: false });
  });

  let admin: TestUser;
  it('an admin cannot pick owner (nor super admin) in the role select', async () => {
    const ownerApi = await signIn(t, OWNER.email, OWNER.password);
    admin = await addMember(t, ownerApi, workspaceId, 'admin', { email: mail('adam') });
    const { page } = await newPage();
    await page.goto(`${base}/sign-in`);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(new RegExp(`/w/${workspaceId}/members$`));
    await page.getByRole('button', { name: 'Invite people' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const offered = await selectOptions(page, dialog, 'Role');
    expect(offered).toEqual(['Administrator', 'User', 'Login only', 'Guest']);
    expect(offered).not.toContain('Owner');
    await check(page, 'admin-role-select', { shot: false });
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // Row menus follow the API's abilities: the admin has no action on the owner's row.
    await page.getByTestId(`member-row-${OWNER.email}`).waitFor();
    expect(await page.getByRole('button', { name: `Actions for ${OWNER.name}` }).count()).toBe(0);
    expect(await page.getByRole('button', { name: `Actions for ${NEWCOMER.name}` }).count()).toBe(1);
  });

  it('a user signed in with another email sees the mismatch page and can sign out to continue', async () => {
    const ownerApi = await signIn(t, OWNER.email, OWNER.password);
    const target = mail('mia');
    const res = await ownerApi.api.post(`/api/workspaces/${workspaceId}/invitations`, { emails: [target], role: 'user' });
    expect(res.statusCode, res.body).toBe(201);
    const link = await invitationLink(target);
    const { page } = await newPage();
    await page.goto(`${base}/sign-in`);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/w\//);
    await page.goto(link);
    const mismatch = page.getByTestId('email-mismatch');
    await mismatch.getByText('This invitation is for a different email address').waitFor();
    await mismatch.getByText(admin.email).waitFor();
    expect(await page.getByRole('button', { name: 'Accept and join' }).count()).toBe(0);
    await check(page, 'invite-mismatch');
    await mismatch.getByRole('button', { name: 'Sign out and continue' }).click();
    await page.getByRole('heading', { name: 'How would you like to join?' }).waitFor();
  });

  it('owner verifies the email from the mail, then uses Activity, Settings, the dev mailbox and Load more, and signs out', { timeout: 180_000 }, async () => {
    const { page } = owner;
    const verify = linkIn(await waitForMail(OWNER.email, (m) => m.text.includes('/verify-email/')), 'verify-email');
    await page.goto(verify);
    await page.getByRole('heading', { name: 'Email address verified' }).waitFor();
    await check(page, 'verify-email');
    await page.getByRole('link', { name: 'Continue to Gatehouse' }).click();
    await page.waitForURL(new RegExp(`/w/${workspaceId}/members$`));
    await page.getByTestId(`member-row-${EXISTING.email}`).waitFor();
    await expect.poll(() => page.getByText('Verify your email address').count(), POLL).toBe(0);
    await check(page, 'members');
    copyDoc('members', 'members.png');

    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByRole('heading', { name: 'Activity' }).waitFor();
    await page.getByRole('cell', { name: 'Revoked an invitation' }).waitFor();
    await pick(page, 'Event', 'Declined an invitation');
    await page.getByRole('cell', { name: 'Declined an invitation' }).waitFor();
    await expect.poll(() => page.getByRole('cell', { name: 'Revoked an invitation' }).count(), POLL).toBe(0);
    await check(page, 'activity');

    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    expect(await page.getByTestId('workspace-public-id').textContent()).toMatch(/^GH-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await page.getByLabel('Invitations expire after (days)').fill('45');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Between 1 and 30 days').waitFor();
    await page.getByLabel('Invitations expire after (days)').fill('14');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.').waitFor();
    await check(page, 'settings');

    await page.getByRole('link', { name: 'Dev mailbox' }).click();
    await page.getByRole('heading', { name: 'Dev mailbox' }).waitFor();
    const frame = page.locator('iframe[title^="Email:"]');
    await frame.waitFor();
    expect(await frame.getAttribute('sandbox')).toBe('');
    expect(await frame.getAttribute('srcdoc')).toContain('<');
    // The mail itself is third-party-like content in a script-less sandbox: axe cannot run inside it.
    const t0 = Date.now();
    await check(page, 'dev-mailbox', { exclude: ['iframe[sandbox]'] });
    console.info(`dev mailbox axe scan: ${Date.now() - t0} ms`);

    // Keyset "Load more": 30 more invitations through the API, 25 per page in the UI.
    const ownerApi = await signIn(t, OWNER.email, OWNER.password);
    const bulk = Array.from({ length: 30 }, (_, i) => mail(`bulk${i}`));
    const res = await ownerApi.api.post(`/api/workspaces/${workspaceId}/invitations`, { emails: bulk, role: 'guest' });
    expect(res.statusCode, res.body).toBe(201);
    await page.goto(`${base}/w/${workspaceId}/members?tab=invitations`);
    const rows = page.locator('[data-testid^="invitation-row-"]');
    await expect.poll(() => rows.count(), POLL).toBe(25);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows.count(), POLL).toBe(36); // 5 named + the admin + 30 bulk
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);


    // Row menus on members: change a role, remove (confirmed), transfer ownership (confirmed).
    await page.getByRole('tab', { name: 'All' }).click();
    await page.getByRole('button', { name: `Actions for ${EXISTING.name}` }).click();
    await page.getByRole('menuitem', { name: 'Change role' }).click();
    const roleDialog = page.getByRole('dialog', { name: `Change the role of ${EXISTING.name}` });
    expect(await selectOptions(page, roleDialog, 'Role')).toEqual(['Super admin', 'Administrator', 'User', 'Login only', 'Guest']);
    await page.getByRole('option', { name: 'Administrator', exact: true }).click();
    await check(page, 'change-role', { shot: false });
    await roleDialog.getByRole('button', { name: 'Save' }).click();
    await roleDialog.waitFor({ state: 'hidden' });
    await page.getByTestId(`member-row-${EXISTING.email}`).getByText('Administrator', { exact: true }).waitFor();

    await page.getByRole('button', { name: `Actions for ${NEWCOMER.name}` }).click();
    await page.getByRole('menuitem', { name: 'Remove from workspace' }).click();
    const removeDialog = page.getByRole('dialog', { name: `Remove ${NEWCOMER.name}?` });
    await removeDialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await removeDialog.waitFor({ state: 'hidden' });
    await expect.poll(() => page.getByTestId(`member-row-${NEWCOMER.email}`).count(), POLL).toBe(0); // the default filter hides removed people
    await pick(page, 'Status', 'Removed');
    await page.getByTestId(`member-row-${NEWCOMER.email}`).getByText('Removed', { exact: true }).waitFor();
    await pick(page, 'Status', 'Current (active and pending)');

    await page.getByRole('button', { name: `Actions for ${EXISTING.name}` }).click();
    await page.getByRole('menuitem', { name: 'Transfer ownership' }).click();
    const transferDialog = page.getByRole('dialog', { name: `Make ${EXISTING.name} the owner?` });
    await transferDialog.getByRole('button', { name: 'Transfer ownership' }).click();
    await transferDialog.waitFor({ state: 'hidden' });
    await page.getByTestId(`member-row-${EXISTING.email}`).getByText('Owner', { exact: true }).waitFor();
    await page.getByTestId(`member-row-${OWNER.email}`).getByText('Administrator', { exact: true }).waitFor();

    await page.getByRole('button', { name: `Account menu for ${OWNER.name}` }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.goto(`${base}/w/${workspaceId}/members`);
    await page.waitForURL(/\/sign-in\?next=/);

    // Unknown and expired links get their own pages too.
    await page.goto(`${base}/invite/not-a-real-invitation-token-0123456789`);
    await page.getByRole('heading', { name: 'This invitation link is not valid' }).waitFor();
    await check(page, 'invite-unknown', { shot: false });
    const mia = await invitationLink(mail('mia'));
    clock.advance(8 * 24 * 3600 * SECOND); // past the 7-day expiry
    await page.goto(mia);
    await page.getByRole('heading', { name: 'This invitation has expired' }).waitFor();
    await check(page, 'invite-expired');
  });
});

/**
 * docs/screenshots/*.png (committed, shown in the README) are refreshed only when asked
 * (UPDATE_SCREENSHOTS=1) or missing, so a test run does not dirty the tree with new emails and dates.
 */
function copyDoc(shot: string, as: string) {
  if (process.env.UPDATE_SCREENSHOTS !== '1' && existsSync(path.join(DOCS_SCREENSHOTS, as))) return;
  mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
  copyFileSync(path.join(SCREENSHOTS, `${shot}.png`), path.join(DOCS_SCREENSHOTS, as));
}
