import type { Mail } from './mailer.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every user-controlled string goes through this before it touches HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

interface Action {
  label: string;
  url: string;
}

/** One layout for every mail: a heading, paragraphs, at most one button, a footer. */
export function renderMail(opts: { to: string; subject: string; heading: string; paragraphs: string[]; action?: Action; footer?: string }): Mail {
  const text = [opts.heading, '', ...opts.paragraphs.flatMap((p) => [p, '']), ...(opts.action ? [`${opts.action.label}: ${opts.action.url}`, ''] : []), opts.footer ?? ''].join('\n').trim() + '\n';
  const para = (p: string) => `<p style="margin:0 0 16px;line-height:1.5">${escapeHtml(p)}</p>`;
  const button = opts.action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(opts.action.url)}" style="background:#1c7ed6;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${escapeHtml(opts.action.label)}</a></p><p style="font-size:12px;color:#555;word-break:break-all">${escapeHtml(opts.action.url)}</p>`
    : '';
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#222;max-width:560px;margin:0 auto;padding:24px"><h1 style="font-size:20px">${escapeHtml(opts.heading)}</h1>${opts.paragraphs.map(para).join('')}${button}${opts.footer ? `<p style="font-size:12px;color:#555">${escapeHtml(opts.footer)}</p>` : ''}</body></html>`;
  return { to: opts.to, subject: opts.subject, text, html };
}

export const ROLE_LABELS: Record<string, string> = {
  owner: 'Owner',
  super_admin: 'Super admin',
  admin: 'Administrator',
  user: 'User',
  login_only: 'Login-only',
  guest: 'Guest',
};

export function formatDate(d: Date): string {
  return d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}
