import { Anchor, Button, Checkbox, Paper, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { call } from '../api/client';
import { nameProblem, passwordProblem } from '../forms';
import { useSignOut } from '../session';
import { ErrorAlert, PageTitle } from '../ui';

/**
 * A session that is not complete yet (`GET /api/me` → `nextStep`): the second factor, or
 * replacing a temporary password. Nothing else of the app is reachable until it is done.
 */
export function FinishSignIn({ step, email }: { step: 'mfa' | 'change_password'; email: string }) {
  const signOut = useSignOut();
  return (
    <Stack>
      <Paper withBorder p="xl" radius="md">
        {step === 'mfa' ? <SecondFactor /> : <ReplaceTemporaryPassword email={email} />}
        <Text size="sm" mt="lg">
          Signed in as {email}.{' '}
          <Anchor component="button" type="button" size="sm" onClick={() => void signOut()}>
            Sign out
          </Anchor>
        </Text>
      </Paper>
    </Stack>
  );
}

function SecondFactor() {
  const client = useQueryClient();
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState('');
  const [trust, setTrust] = useState(false);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const value = code.replace(/\s+/g, '');
    const problem = useRecovery ? (value.length < 10 ? 'Enter one of your recovery codes' : null) : /^\d{6}$/.test(value) ? null : 'Enter the 6 digits from your authenticator app';
    setFieldError(problem ?? undefined);
    if (problem) return;
    setBusy(true);
    setError(null);
    try {
      await call('post', '/api/auth/mfa/verify', { body: { ...(useRecovery ? { recoveryCode: value } : { code: value }), ...(trust ? { trustDevice: true } : {}) } });
      await client.resetQueries();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <PageTitle>Two-step verification</PageTitle>
        <Text size="sm">{useRecovery ? 'Enter one of the recovery codes you saved when you turned on two-step verification.' : 'Open your authenticator app and enter the 6-digit code for Gatehouse.'}</Text>
        <TextInput
          label={useRecovery ? 'Recovery code' : 'Code'}
          value={code}
          onChange={(e) => setCode(e.currentTarget.value)}
          error={fieldError}
          autoComplete="one-time-code"
          inputMode={useRecovery ? 'text' : 'numeric'}
          data-autofocus
        />
        <Checkbox label="Trust this browser (skip the code here for a while)" checked={trust} onChange={(e) => setTrust(e.currentTarget.checked)} />
        <ErrorAlert error={error} />
        <Button type="submit" loading={busy}>
          Verify
        </Button>
        <Anchor component="button" type="button" size="sm" onClick={() => (setUseRecovery(!useRecovery), setCode(''), setFieldError(undefined))}>
          {useRecovery ? 'Use a code from the app instead' : 'Use a recovery code instead'}
        </Anchor>
      </Stack>
    </form>
  );
}

function ReplaceTemporaryPassword({ email }: { email: string }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [familyName, setFamilyName] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [errors, setErrors] = useState<{ name?: string; familyName?: string; next?: string; again?: string }>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const n = nameProblem(name);
    const f = nameProblem(familyName);
    const p = passwordProblem(next, email);
    const errs = {
      ...(n ? { name: n } : {}),
      ...(f ? { familyName: f === 'Enter a name' ? 'Enter your family name' : f } : {}),
      ...(p ? { next: p } : {}),
      ...(again === next ? {} : { again: 'The two passwords differ' }),
    };
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    setError(null);
    try {
      // Cerby's first sign-in: own password (never the temporary one) and your name.
      const done = await call('post', '/api/me/complete-setup', { body: { newPassword: next, name: name.trim(), familyName: familyName.trim() } });
      // A guest joins the inviting workspace(s) here: open it (the invitation link is used up now).
      const joined = done.joinedWorkspaceIds[0];
      if (joined) navigate(`/w/${joined}/members`, { replace: true });
      await client.resetQueries();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <PageTitle>Finish setting up your account</PageTitle>
        <Text size="sm">You signed in with a temporary password. Choose your own password and tell us your name to continue.</Text>
        <TextInput label="First name" autoComplete="given-name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} required />
        <TextInput label="Family name" autoComplete="family-name" value={familyName} onChange={(e) => setFamilyName(e.currentTarget.value)} error={errors.familyName} required />
        <PasswordInput label="New password" description="At least 12 characters, different from the temporary one" autoComplete="new-password" value={next} onChange={(e) => setNext(e.currentTarget.value)} error={errors.next} required />
        <PasswordInput label="New password again" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.currentTarget.value)} error={errors.again} required />
        <ErrorAlert error={error} />
        <Button type="submit" loading={busy}>
          Save and continue
        </Button>
      </Stack>
    </form>
  );
}
