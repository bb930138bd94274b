import type { AppDeps } from '../../app/deps.js';
import { renderMail } from '../../email/templates.js';
import type { SecurityNotice } from '../../jobs/outbox.js';
import type { JobResult } from '../../jobs/worker.js';
import { findUserById } from '../auth/repo.js';
import { CODE_TTL_MS, deviceApprovalCode } from './devices.js';
import { findDeviceById } from './repo.js';

const NOTICES: Record<SecurityNotice, { subject: string; text: string }> = {
  mfa_enabled: { subject: 'Multi-factor authentication was turned on', text: 'Multi-factor authentication is now on for your Gatehouse account.' },
  mfa_disabled: { subject: 'Multi-factor authentication was turned off', text: 'Multi-factor authentication was turned off for your Gatehouse account, and your trusted devices were removed.' },
  recovery_codes_regenerated: { subject: 'New recovery codes were created', text: 'New recovery codes were created for your Gatehouse account; the old ones no longer work.' },
  totp_replay: { subject: 'A sign-in code was used twice', text: 'Someone tried to use an authenticator code that had already been used. If this was not you, change your password.' },
};

/** Tells the account owner about a change to their authentication factors (T-MFA-06). */
export async function securityNoticeEmail(deps: AppDeps, payload: { userId: string; notice: SecurityNotice }): Promise<JobResult> {
  const user = await findUserById(deps.db, payload.userId);
  if (!user) return { skip: 'user gone' };
  const notice = NOTICES[payload.notice];
  return {
    mail: renderMail({
      to: user.email,
      subject: notice.subject,
      heading: notice.subject,
      paragraphs: [`Hi ${user.name},`, notice.text, 'If you did not do this, change your password and contact your workspace administrator.'],
      action: { label: 'Review your security settings', url: new URL('/security', deps.config.APP_URL).toString() },
    }),
  };
}

export async function deviceCodeEmail(deps: AppDeps, payload: { deviceId: string; issuedAt: string }): Promise<JobResult> {
  const device = await findDeviceById(deps.db, payload.deviceId);
  if (!device || device.status !== 'pending_approval' || !device.approvalCodeExpiresAt) return { skip: 'device no longer pending' };
  const issuedAt = new Date(payload.issuedAt);
  // A newer code replaced this one: only the current code is mailed.
  if (device.approvalCodeExpiresAt.getTime() !== issuedAt.getTime() + CODE_TTL_MS) return { skip: 'superseded code' };
  const user = await findUserById(deps.db, device.userId);
  if (!user) return { skip: 'user gone' };
  const code = deviceApprovalCode(deps.keys.tokens, device.id, issuedAt);
  return {
    mail: renderMail({
      to: user.email,
      subject: `Your Gatehouse device code: ${code}`,
      heading: 'Approve this device',
      paragraphs: [`Enter this code to trust “${device.name}”: ${code}`, 'The code is valid for 5 minutes.', 'If you did not try to add a device, change your password.'],
    }),
  };
}
