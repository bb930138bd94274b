import { z } from 'zod';
import { emailField } from '../../lib/email-address.js';

export const nameField = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'Control characters are not allowed');

export const passwordField = z.string().min(1).max(256);

export const userSchema = z
  .object({ id: z.uuid(), email: z.string(), name: z.string(), familyName: z.string().nullable(), emailVerified: z.boolean(), createdAt: z.date() })
  .meta({ id: 'User' });

export const signUpBody = z.strictObject({
  email: emailField,
  password: passwordField,
  name: nameField,
  invitationToken: z.string().min(10).max(200).optional(),
});

export const signUpAccepted = z.object({ status: z.literal('check_your_email'), message: z.string() });

export const signInBody = z.strictObject({ email: emailField, password: passwordField });

export const meResponse = z.object({
  user: userSchema,
  /** What the sign-in still needs: the second factor, or replacing a temporary password. */
  nextStep: z.enum(['mfa', 'change_password']).nullable(),
  mfaEnabled: z.boolean(),
  workspaces: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      role: z.string(),
      type: z.string(),
      partner: z.object({ id: z.uuid(), role: z.enum(['guest_admin', 'guest_user']) }).nullable(),
      pendingRequirements: z.array(z.enum(['terms', 'mfa'])),
    }),
  ),
});

export const changePasswordBody = z.strictObject({ currentPassword: passwordField, newPassword: passwordField });
export const updateProfileBody = z.strictObject({ name: nameField });
export const verifyEmailBody = z.strictObject({ token: z.string().min(10).max(200) });

export const apiTokenSchema = z
  .object({ id: z.uuid(), name: z.string(), prefix: z.string(), createdAt: z.date(), lastUsedAt: z.date().nullable(), expiresAt: z.date().nullable() })
  .meta({ id: 'ApiToken' });
export const createApiTokenBody = z.strictObject({ name: nameField, expiresInDays: z.number().int().min(1).max(3650).optional() });
