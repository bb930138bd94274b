import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SECOND } from '../../src/app/context.js';
import { hashPassword } from '../../src/modules/auth/passwords.js';
import { insertUser } from '../../src/modules/auth/repo.js';
import { totpCode } from '../../src/modules/mfa/totp.js';
import type { TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, PASSWORD, uniqueEmail, type TestUser } from '../factories.js';
import { CHROMIUM, expectAccessible, launchChromium, openPage, REQUIRE_BROWSER, screenshot, startServer, type FlowingClock } from './browser.js';

/**
 * The steps between "password accepted" and "using a workspace", in the browser: a temporary
 * password to replace, workspace terms to accept, two-step verification to turn on, and the
 * code asked at the next sign-in. Each page gets an axe scan.
 */
const RUN = !!CHROMIUM || REQUIRE_BROWSER;

// A browser step on a loaded 2-core machine can take seconds: generous limits, the steps still wait for exact states.
describe.skipIf(!RUN)('web app in Chromium: finishing a sign-in and workspace requirements', { timeout: 120_000 }, () => {
  let t: TestApp;
  let base: string;
  let clock: FlowingClock;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let owner: TestUser;
  let workspaceId: string;

  const newPage = async (): Promise<Page> => (await openPage(browser, contexts)).page;

  async function signInThroughUi(page: Page, email: string, password: string) {
    await page.goto(`${base}/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error('REQUIRE_BROWSER=1 but Chromium is not installed (apt-get install -y chromium)');
    ({ t, base, clock } = await startServer());
    browser = await launchChromium();
    owner = await createUser(t, { name: 'Ola Owner' });
    workspaceId = (await createWorkspace(owner, 'Strict Ltd')).id;
  }, 120_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    for (const [i, c] of contexts.entries()) for (const p of c.pages()) await screenshot(p, `FAILED-steps-${i}`).catch(() => {});
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await t?.close();
  });

  it('a temporary password must be replaced (with a name) before anything else; refusals are explained', async () => {
    const email = uniqueEmail('temp');
    const temporary = 'Temporary-Pass-4821';
    const now = t.clock.now();
    await insertUser(t.deps.db, { id: randomUUID(), email, name: 'Tia Temp', passwordHash: await hashPassword(temporary), emailVerifiedAt: now, mustChangePassword: true, createdAt: now, updatedAt: now });
    const page = await newPage();
    await signInThroughUi(page, email, temporary);
    await page.getByRole('heading', { name: 'Finish setting up your account' }).waitFor();
    await page.getByLabel('First name').fill('Tia');
    await page.getByLabel('Family name').fill('Temp');
    await page.getByRole('textbox', { name: 'New password', exact: true }).fill(temporary);
    await page.getByLabel('New password again').fill(temporary);
    await page.getByRole('button', { name: 'Save and continue' }).click();
    // The server refuses the temporary password as the new one; the reason is shown.
    await page.getByRole('alert').waitFor();
    await expectAccessible(page, 'complete-setup');
    await screenshot(page, 'complete-setup');
    await page.getByRole('textbox', { name: 'New password', exact: true }).fill('my own long passphrase 7');
    await page.getByLabel('New password again').fill('my own long passphrase 7');
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.waitForURL(/\/welcome$/);
  });

  it('a guest accepts the workspace terms, then uses it', async () => {
    const res = await owner.api.put(`/api/workspaces/${workspaceId}/terms`, { text: 'Rule 1: be kind to the data.\nRule 2: report anything odd.' });
    expect(res.statusCode, res.body).toBe(200);
    const guest = await addMember(t, owner, workspaceId, 'guest');
    const page = await newPage();
    await signInThroughUi(page, guest.email, PASSWORD);
    await page.getByRole('heading', { name: 'Before you use Strict Ltd' }).waitFor();
    await page.getByText('Rule 2: report anything odd.', { exact: false }).waitFor();
    await expectAccessible(page, 'workspace-terms');
    await screenshot(page, 'workspace-terms');
    await page.getByRole('button', { name: 'I accept these terms' }).click();
    // Guests do not see the member list: the page says so instead of failing.
    await page.getByText('does not show the member list').waitFor();
  });

  it('a workspace requiring two-step verification: enrol with the QR/key, keep the recovery codes, then the code is asked at the next sign-in', async () => {
    const member = await addMember(t, owner, workspaceId, 'user');
    const res = await owner.api.patch(`/api/workspaces/${workspaceId}`, { mfaRequirement: 'guests' });
    expect(res.statusCode, res.body).toBe(200);
    // Only guests are asked: the user is not (positive control), until it applies to everyone.
    const page = await newPage();
    await signInThroughUi(page, member.email, PASSWORD);
    await page.waitForURL(new RegExp(`/w/${workspaceId}/members$`));
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    const everyone = await owner.api.patch(`/api/workspaces/${workspaceId}`, { mfaRequirement: 'everyone' });
    expect(everyone.statusCode, everyone.body).toBe(200);

    await page.reload();
    await page.getByRole('heading', { name: 'Before you use Strict Ltd' }).waitFor();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    expect(await page.getByRole('img', { name: /QR code/ }).getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await page.getByLabel('2. Enter the 6-digit code from the app').fill('12');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('Enter the 6 digits your app shows').waitFor();
    await expectAccessible(page, 'mfa-enrol');
    await screenshot(page, 'mfa-enrol');
    await page.getByLabel('2. Enter the 6-digit code from the app').fill(totpCode(secret, clock.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('Two-step verification is on').waitFor();
    expect(await page.getByTestId('recovery-codes').getByRole('listitem').count()).toBe(10);
    await expectAccessible(page, 'mfa-recovery-codes');
    await page.getByRole('button', { name: /I saved them/ }).click();
    await page.getByRole('heading', { name: 'Members' }).waitFor();

    // Next sign-in, in a fresh browser: the code is asked before anything else.
    const again = await newPage();
    await signInThroughUi(again, member.email, PASSWORD);
    await again.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await again.getByLabel('Code', { exact: true }).fill('000000');
    await again.getByRole('button', { name: 'Verify' }).click();
    await again.getByRole('alert').waitFor();
    await expectAccessible(again, 'mfa-sign-in');
    await screenshot(again, 'mfa-sign-in');
    clock.advance(30 * SECOND); // a fresh 30-second step: a code is never accepted twice
    await again.getByLabel('Code', { exact: true }).fill(totpCode(secret, clock.now()));
    await again.getByRole('button', { name: 'Verify' }).click();
    await again.waitForURL(new RegExp(`/w/${workspaceId}/members$`));
    await again.getByRole('heading', { name: 'Members' }).waitFor();
  });
});
