import { z } from 'zod';
import type { AppDeps } from '../../app/deps.js';
import { deviceTokenOf, setDeviceCookie, setSessionCookie, userCtx } from '../../http/auth.js';
import type { App } from '../../http/types.js';
import { passwordField } from '../auth/schemas.js';
import * as devices from './devices.js';
import * as service from './service.js';
import { userNeedsDeviceApproval } from '../members/repo.js';


const codeField = z.string().trim().regex(/^\d{6}$/, 'Six digits');
const recoveryField = z.string().trim().min(10).max(20);
const factor = { code: codeField.optional(), recoveryCode: recoveryField.optional() };
const deviceSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    browser: z.string().nullable(),
    os: z.string().nullable(),
    ip: z.string().nullable(),
    status: z.enum(['pending_approval', 'approved', 'removed']),
    createdAt: z.date(),
    lastUsedAt: z.date(),
    approvedAt: z.date().nullable(),
    current: z.boolean(),
  })
  .meta({ id: 'TrustedDevice' });

export function mfaRoutes(app: App, deps: AppDeps) {
  app.post('/api/auth/mfa/verify', {
    config: { auth: 'user', allowMfaPending: true, rateLimit: { max: 30, timeWindow: 60_000 } },
    schema: {
      tags: ['auth'],
      summary: 'Second sign-in step: a TOTP code or a recovery code; optionally trust this device',
      body: z.strictObject({ ...factor, trustDevice: z.boolean().optional(), deviceName: z.string().trim().min(1).max(80).optional() }).refine((b) => !!b.code !== !!b.recoveryCode, 'Give a code or a recovery code'),
      response: { 200: z.object({ ok: z.literal(true), devicePendingApproval: z.boolean(), deviceLimitReached: z.boolean() }) },
    },
    handler: async (req, reply) => {
      const ctx = userCtx(deps, req);
      if (!req.principal?.mfaPending || !req.principal.sessionId) return reply.code(200).send({ ok: true, devicePendingApproval: false, deviceLimitReached: false });
      const result = await service.completeMfaSignIn(ctx, req.principal.sessionId, req.body);
      setSessionCookie(reply, deps, result.session.token, result.session.expiresAt);
      if (result.device) setDeviceCookie(reply, deps, result.device.token);
      return { ok: true as const, devicePendingApproval: result.device?.status === 'pending_approval', deviceLimitReached: result.deviceLimitReached };
    },
  });

  app.get('/api/me/mfa', {
    config: { auth: 'user' },
    schema: { tags: ['mfa'], summary: 'Your MFA status', response: { 200: z.object({ enabled: z.boolean(), enabledAt: z.date().nullable(), recoveryCodesRemaining: z.number().int() }) } },
    handler: async (req) => service.mfaStatus(userCtx(deps, req)),
  });

  app.post('/api/me/mfa/totp', {
    config: { auth: 'user' },
    schema: {
      tags: ['mfa'],
      summary: 'Start TOTP enrolment: secret, otpauth URI and QR code (confirm with a code next)',
      response: { 200: z.object({ secret: z.string(), otpauthUri: z.string(), qrCodeDataUrl: z.string() }) },
    },
    handler: async (req) => service.startTotpEnrolment(userCtx(deps, req)),
  });

  app.post('/api/me/mfa/totp/confirm', {
    config: { auth: 'user', rateLimit: { max: 20, timeWindow: 60_000 } },
    schema: { tags: ['mfa'], summary: 'Confirm enrolment with a first code; returns 10 single-use recovery codes (shown once)', body: z.strictObject({ code: codeField }), response: { 200: z.object({ recoveryCodes: z.array(z.string()) }) } },
    handler: async (req) => service.confirmTotpEnrolment(userCtx(deps, req), req.body.code),
  });

  app.post('/api/me/mfa/disable', {
    config: { auth: 'user', rateLimit: { max: 10, timeWindow: 15 * 60_000 } },
    schema: { tags: ['mfa'], summary: 'Turn MFA off (password and a current code required); removes trusted devices', body: z.strictObject({ password: passwordField, ...factor }), response: { 204: z.null() } },
    handler: async (req, reply) => {
      await service.disableMfa(userCtx(deps, req), req.body);
      return reply.code(204).send(null);
    },
  });

  app.post('/api/me/mfa/recovery-codes', {
    config: { auth: 'user', rateLimit: { max: 10, timeWindow: 15 * 60_000 } },
    schema: { tags: ['mfa'], summary: 'Replace your recovery codes (password and a current code required)', body: z.strictObject({ password: passwordField, ...factor }), response: { 200: z.object({ recoveryCodes: z.array(z.string()) }) } },
    handler: async (req) => service.regenerateRecoveryCodes(userCtx(deps, req), req.body),
  });

  app.get('/api/me/devices', {
    config: { auth: 'user' },
    schema: { tags: ['mfa'], summary: 'Your trusted devices', response: { 200: z.object({ items: z.array(deviceSchema) }) } },
    handler: async (req) => ({ items: await devices.listDevices(userCtx(deps, req), deviceTokenOf(req, deps)) }),
  });

  app.post('/api/me/devices', {
    config: { auth: 'user' },
    schema: { tags: ['mfa'], summary: 'Trust this browser (skips the second step at later sign-ins)', body: z.strictObject({ name: z.string().trim().min(1).max(80).optional() }), response: { 201: deviceSchema } },
    handler: async (req, reply) => {
      const ctx = userCtx(deps, req);
      const approvalRequired = await userNeedsDeviceApproval(deps.db, ctx.userId);
      const { device, token } = await deps.db.transaction((tx) => devices.trustDevice(tx, ctx, ctx.userId, { name: req.body.name, approvalRequired }));
      setDeviceCookie(reply, deps, token);
      return reply.code(201).send(devices.presentDevice(device, device.id));
    },
  });

  app.post('/api/me/devices/:deviceId/approve', {
    config: { auth: 'user', rateLimit: { max: 20, timeWindow: 60_000 } },
    schema: { tags: ['mfa'], summary: 'Approve a pending device with the emailed 6-digit code', params: z.strictObject({ deviceId: z.uuid() }), body: z.strictObject({ code: codeField }), response: { 200: deviceSchema } },
    handler: async (req) => devices.approveDevice(userCtx(deps, req), req.params.deviceId, req.body.code),
  });

  app.post('/api/me/devices/:deviceId/resend-code', {
    config: { auth: 'user', rateLimit: { max: 5, timeWindow: 15 * 60_000 } },
    schema: { tags: ['mfa'], summary: 'Email a new approval code for a pending device', params: z.strictObject({ deviceId: z.uuid() }), response: { 204: z.null() } },
    handler: async (req, reply) => {
      await devices.resendDeviceCode(userCtx(deps, req), req.params.deviceId);
      return reply.code(204).send(null);
    },
  });

  app.delete('/api/me/devices/:deviceId', {
    config: { auth: 'user' },
    schema: { tags: ['mfa'], summary: 'Remove a trusted device (kept for the record, never trusted again)', params: z.strictObject({ deviceId: z.uuid() }), response: { 204: z.null() } },
    handler: async (req, reply) => {
      await devices.removeDevice(userCtx(deps, req), req.params.deviceId);
      return reply.code(204).send(null);
    },
  });
}
