import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ManualClock } from '../../src/app/context.js';
import { createTestApp, ORIGIN, type TestApp } from '../helpers/app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOTS = path.join(root, 'test-results/screenshots');
export const DOCS_SCREENSHOTS = path.join(root, 'docs/screenshots');

/** Debian's `chromium` (STACK gotcha 22): CHROMIUM_PATH, else the usual places. Never downloaded. */
export function findChromium(): string | null {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) return existsSync(explicit) ? explicit : null; // an explicit path is the only candidate
  const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];
  return candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
}

export const CHROMIUM = findChromium();
export const REQUIRE_BROWSER = process.env.REQUIRE_BROWSER === '1';

if (!CHROMIUM && !REQUIRE_BROWSER) {
  const line = '!'.repeat(78);
  console.warn(`\n${line}\n!!  BROWSER TESTS SKIPPED: Chromium not found (apt-get install -y chromium, or set CHROMIUM_PATH).\n!!  CI sets REQUIRE_BROWSER=1, where a missing browser fails the run instead.\n${line}\n`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM!,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function distIsFresh(): boolean {
  const index = path.join(root, 'web/dist/index.html');
  const sources = Math.max(newestMtime(path.join(root, 'web/src')), statSync(path.join(root, 'web/index.html')).mtimeMs, statSync(path.join(root, 'web/vite.config.ts')).mtimeMs);
  return existsSync(index) && statSync(index).mtimeMs >= sources;
}

/**
 * Builds web/dist when it is missing or older than the sources (never committed). Browser test
 * files run in parallel workers: a lock directory makes one build while the others wait.
 */
export async function ensureWebBuild(): Promise<void> {
  if (distIsFresh()) return;
  const lock = path.join(tmpdir(), `gatehouse-web-build-${createHash('sha256').update(root).digest('hex').slice(0, 12)}.lock`);
  for (const deadline = Date.now() + 180_000; ; ) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 3 minutes belongs to a crashed run.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another web build');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (distIsFresh()) return;
    const vite = path.join(root, 'node_modules/vite/bin/vite.js');
    await promisify(execFile)(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: root, timeout: 120_000 });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Server time that flows like the real clock (the browser's clock flows too), and can jump
 * ahead: `advance()` moves it, and the test moves the owner's browser clock by the same amount.
 */
export class FlowingClock extends ManualClock {
  private offset = 0;
  override now(): Date {
    return new Date(Date.now() + this.offset);
  }
  override advance(ms: number): void {
    this.offset += ms;
  }
  override set(d: Date): void {
    this.offset = d.getTime() - Date.now();
  }
}

export interface AxeReport {
  page: string;
  violations: { id: string; impact: string | null | undefined; help: string; nodes: string[] }[];
}

/** WCAG 2.x A/AA scan of what is on screen: no serious or critical violation may remain. */
export async function expectAccessible(page: Page, name: string, opts: { exclude?: string[] } = {}): Promise<AxeReport> {
  // Scan what a person sees once things stop moving (a fading dialog has half its contrast).
  // Browser-side callbacks are serialised: they reach `document` through globalThis (no DOM types in the root tsconfig).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await page.waitForFunction(() => (globalThis as any).document.getAnimations().every((a: { playState: string }) => a.playState !== 'running'));
  let builder = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);
  for (const selector of opts.exclude ?? []) builder = builder.exclude(selector);
  const result = await builder.analyze();
  const report: AxeReport = {
    page: name,
    violations: result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.any[0]?.data ? JSON.stringify(n.any[0].data) : ''} ${n.html.slice(0, 160)}`),
    })),
  };
  const blocking = report.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking, `axe on ${name}: ${JSON.stringify(blocking, null, 2)}`).toEqual([]);
  return report;
}

/** Text of the focused element. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const focusedText = (page: Page) => page.evaluate((): string | undefined => (globalThis as any).document.activeElement?.textContent ?? undefined);

export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: opts.fullPage ?? false, animations: 'disabled' });
  return file;
}

/**
 * A real server for the browser: the built web app, a fresh database, the outbox worker and the
 * dev mailbox. APP_URL is the real origin (Origin check, links in mails); the factories' Origin
 * is allowed too, so tests can also act through the API.
 */
export async function startServer(): Promise<{ t: TestApp; base: string; clock: FlowingClock }> {
  await ensureWebBuild();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const clock = new FlowingClock();
  const t = await createTestApp({ clock, config: { APP_URL: base, ALLOWED_ORIGINS: ORIGIN, SERVE_WEB: 'true', DEV_MAILBOX: 'true', OUTBOX_POLL_MS: '100' } });
  await t.app.listen({ port, host: '127.0.0.1' });
  t.worker.start();
  return { t, base, clock };
}

/**
 * A fresh browser context (own cookies) and page, as every browser test opens them: one viewport,
 * British English, UTC, and step limits for a loaded 2-core machine. `contexts` collects the
 * context for the failure screenshots and the final close.
 */
export async function openPage(browser: Browser, contexts: BrowserContext[], opts: { fakeClock?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB', timezoneId: 'UTC' });
  contexts.push(context);
  if (opts.fakeClock) await context.clock.install();
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return { context, page };
}

export interface DevMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Polls the dev mailbox (draining the outbox) until a matching mail arrives; fails if the mailbox is off. */
export async function waitForMail(t: TestApp, base: string, to: string, match: (m: DevMail) => boolean = () => true): Promise<DevMail> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    await t.worker.drain();
    const res = await fetch(`${base}/api/dev/mailbox?to=${encodeURIComponent(to)}&limit=50`);
    expect(res.status, 'the dev mailbox must be on for the browser tests').toBe(200);
    const found = ((await res.json()) as { items: DevMail[] }).items.find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching mail to ${to}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
