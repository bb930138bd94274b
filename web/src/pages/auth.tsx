import { Anchor, Button, Paper, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { call } from '../api/client';
import { isEmail, nameProblem, PASSWORD_MIN, passwordProblem } from '../forms';
import { safeNext } from '../session';
import { ErrorAlert, PageTitle } from '../ui';

export function useSignIn() {
  const client = useQueryClient();
  return async (email: string, password: string) => {
    const res = await call('post', '/api/auth/sign-in', { body: { email: email.trim(), password } });
    // A new session: nothing cached for the previous visitor may survive.
    client.clear();
    return res;
  };
}

export function SignInPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const signIn = useSignIn();
  const [email, setEmail] = useState(new URLSearchParams(location.search).get('email') ?? '');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(location.search);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const errs = { ...(isEmail(email) ? {} : { email: 'Enter a valid email address' }), ...(password ? {} : { password: 'Enter your password' }) };
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    setError(null);
    try {
      await signIn(email, password);
      navigate(next, { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="xl" radius="md">
      <PageTitle>Sign in to Gatehouse</PageTitle>
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput label="Email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={errors.email} required />
          <PasswordInput label="Password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={errors.password} required />
          <ErrorAlert error={error} />
          <Button type="submit" loading={busy}>
            Sign in
          </Button>
          <Text size="sm">
            New here?{' '}
            <Anchor component={Link} to={`/sign-up${location.search}`}>
              Create an account
            </Anchor>
          </Text>
        </Stack>
      </form>
    </Paper>
  );
}

export function SignUpPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const signIn = useSignIn();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ name?: string; email?: string; password?: string }>({});
  const [error, setError] = useState<unknown>(null);
  const [step, setStep] = useState<'idle' | 'creating' | 'signing-in'>('idle');
  const next = safeNext(location.search);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const n = nameProblem(name);
    const p = passwordProblem(password, email);
    const errs = { ...(n ? { name: n } : {}), ...(isEmail(email) ? {} : { email: 'Enter a valid email address' }), ...(p ? { password: p } : {}) };
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setError(null);
    try {
      setStep('creating');
      // 202 whether or not the address already has an account (no enumeration)…
      await call('post', '/api/auth/sign-up', { body: { name: name.trim(), email: email.trim(), password } });
      setStep('signing-in');
      // …so sign in with the same credentials straight away.
      await signIn(email, password);
      navigate(next, { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setStep('idle');
    }
  }

  return (
    <Paper withBorder p="xl" radius="md">
      <PageTitle>Create your account</PageTitle>
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput label="Your name" autoComplete="name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} required />
          <TextInput label="Email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={errors.email} required />
          <PasswordInput
            label="Password"
            description={`At least ${PASSWORD_MIN} characters`}
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={errors.password}
            required
          />
          <ErrorAlert error={error} />
          <Button type="submit" loading={step !== 'idle'}>
            Create account
          </Button>
          {step !== 'idle' ? (
            <Text size="sm" role="status">
              {step === 'creating' ? 'Creating your account…' : 'Signing you in…'}
            </Text>
          ) : null}
          <Text size="sm">
            Already have an account?{' '}
            <Anchor component={Link} to={`/sign-in${location.search}`}>
              Sign in
            </Anchor>
          </Text>
        </Stack>
      </form>
    </Paper>
  );
}
