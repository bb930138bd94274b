import { Alert, Anchor, Button, Group, Paper, PasswordInput, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { call, invalidatePaths, useApiQuery } from '../api/client';
import { ConfirmDialog } from '../components/confirm';
import { isEmail, nameProblem, PASSWORD_MIN, passwordProblem } from '../forms';
import { useMe, useSignOut } from '../session';
import { FinishSignIn } from './finish-sign-in';
import { ErrorAlert, formatDateTime, isApiError, PageLoader, PageTitle, ROLE_DESCRIPTIONS, ROLE_LABELS } from '../ui';

/** One clear page per reason a link cannot be used (the API's 404/410 codes). */
const DEAD_LINKS: Record<string, { title: string; body: string; signIn?: boolean }> = {
  invitation_expired: {
    title: 'This invitation has expired',
    body: 'Invitations are valid for a limited time. Ask the person who invited you to send a new one.',
  },
  invitation_revoked: {
    title: 'This invitation was withdrawn',
    body: 'An administrator of the workspace revoked it, so the link no longer works. If you think this is a mistake, contact the person who invited you.',
  },
  invitation_replaced: {
    title: 'A newer invitation was sent',
    body: 'This link was replaced by a newer one. Open the link in the most recent invitation email you received.',
  },
  invitation_used: {
    title: 'This invitation has already been used',
    body: 'Someone already joined with this link. If it was you, sign in to open the workspace.',
    signIn: true,
  },
  invitation_declined: {
    title: 'This invitation was declined',
    body: 'The invitation was turned down, so the link no longer works. If you changed your mind, ask for a new invitation.',
  },
  invitation_not_found: {
    title: 'This invitation link is not valid',
    body: 'Check that you opened the whole link from the email. Links stop working once they are replaced, used or withdrawn.',
  },
};

function DeadLink({ code }: { code: string }) {
  const page = DEAD_LINKS[code]!;
  return (
    <Paper withBorder p="xl" radius="md" data-testid={`dead-link-${code}`}>
      <PageTitle>{page.title}</PageTitle>
      <Text mb="lg">{page.body}</Text>
      <Group>
        {page.signIn ? (
          <Button component={Link} to="/sign-in">
            Sign in
          </Button>
        ) : null}
        <Button component={Link} to="/" variant={page.signIn ? 'default' : 'filled'}>
          Go to Gatehouse
        </Button>
      </Group>
    </Paper>
  );
}

function Detail({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th scope="row" w={140} fw={500} c="dark.4">
        {label}
      </Table.Th>
      <Table.Td>{children}</Table.Td>
    </Table.Tr>
  );
}

/**
 * `/invite/:token` (Aranet's JOIN): what the invitation is, then the one path that fits the
 * visitor — accept (right account), sign out (wrong account), or sign in / register (no session).
 */
export function InviteLandingPage() {
  const { token = '' } = useParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const me = useMe();
  const preview = useApiQuery('/api/invitations/{token}', { path: { token } }, { retry: false, refetchOnWindowFocus: false });
  const [declined, setDeclined] = useState(false);
  const [confirmDecline, setConfirmDecline] = useState(false);
  const [accepting, setAccepting] = useState(false);
  const [acceptError, setAcceptError] = useState<unknown>(null);

  const accept = async () => {
    setAccepting(true);
    setAcceptError(null);
    try {
      const res = await call('post', '/api/invitations/{token}/accept', { params: { path: { token } } });
      await invalidatePaths(client, ['/api/me', '/api/workspaces']);
      navigate(`/w/${res.workspaceId}/members`, { replace: true });
    } catch (e) {
      setAcceptError(e);
      setAccepting(false);
    }
  };

  if (preview.isPending || me.isPending) return <PageLoader label="Opening your invitation…" />;
  if (preview.error) {
    if (DEAD_LINKS[preview.error.code]) return <DeadLink code={preview.error.code} />;
    return <ErrorAlert error={preview.error} />;
  }
  if (declined) {
    return (
      <Paper withBorder p="xl" radius="md">
        <PageTitle>Invitation declined</PageTitle>
        <Text>You declined the invitation to {preview.data.workspaceName}. Nobody will be added, and the link no longer works. You can close this page.</Text>
      </Paper>
    );
  }

  if (me.data?.nextStep) return <FinishSignIn step={me.data.nextStep} email={me.data.user.email} />;
  const p = preview.data;
  const user = me.data?.user;
  return (
    <Stack>
      <Paper withBorder p="xl" radius="md">
        <PageTitle>Join {p.workspaceName}</PageTitle>
        <Text mb="md">
          {p.inviterName ? <b>{p.inviterName}</b> : 'An administrator'} invited you to join <b>{p.workspaceName}</b> on Gatehouse.
        </Text>
        <Table withRowBorders={false} verticalSpacing={4} mb="md">
          <Table.Tbody>
            <Detail label="Workspace">{p.workspaceName}</Detail>
            <Detail label="Invited by">{p.inviterName ?? 'A workspace administrator'}</Detail>
            <Detail label="Your role">
              {ROLE_LABELS[p.role]}
              <Text size="xs" c="dark.4">
                {ROLE_DESCRIPTIONS[p.role]}
              </Text>
            </Detail>
            <Detail label="Sent to">{p.emailHint}</Detail>
            <Detail label="Expires">{formatDateTime(p.expiresAt)}</Detail>
          </Table.Tbody>
        </Table>

        {user && p.signedInEmailMatches ? (
          <Stack>
            <Text size="sm">
              You are signed in as <b>{user.email}</b>.
            </Text>
            <ErrorAlert error={acceptError} />
            {isApiError(acceptError, 'already_member') ? (
              <Anchor component={Link} to="/">
                Open your workspaces
              </Anchor>
            ) : null}
            <Group>
              <Button onClick={accept} loading={accepting}>
                Accept and join
              </Button>
              <Button variant="default" onClick={() => setConfirmDecline(true)}>
                Decline
              </Button>
            </Group>
          </Stack>
        ) : user ? (
          <WrongAccount email={user.email} hint={p.emailHint} />
        ) : (
          <JoinForms token={token} hint={p.emailHint} onDecline={() => setConfirmDecline(true)} />
        )}
      </Paper>
      <ConfirmDialog
        opened={confirmDecline}
        onClose={() => setConfirmDecline(false)}
        title={`Decline the invitation to ${p.workspaceName}?`}
        confirmLabel="Decline invitation"
        onConfirm={async () => {
          await call('post', '/api/invitations/{token}/decline', { params: { path: { token } } });
          setDeclined(true);
        }}
      >
        The link stops working and nobody is added. The workspace can send you a new invitation later.
      </ConfirmDialog>
    </Stack>
  );
}

function WrongAccount({ email, hint }: { email: string; hint: string }) {
  const signOut = useSignOut();
  const [busy, setBusy] = useState(false);
  return (
    <Alert color="orange" variant="light" title="This invitation is for a different email address" data-testid="email-mismatch" styles={{ title: { color: 'var(--mantine-color-dark-8)' } }}>
      <Stack gap="sm">
        <Text size="sm">
          You are signed in as <b>{email}</b>, but the invitation was sent to <b>{hint}</b>. Only that address can accept it.
        </Text>
        <Text size="sm">Sign out, then sign in or create an account with the invited address.</Text>
        <Group>
          <Button
            loading={busy}
            onClick={async () => {
              setBusy(true);
              try {
                await signOut(null);
              } finally {
                setBusy(false);
              }
            }}
          >
            Sign out and continue
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

/** Not signed in: register with the invited address (locked), or sign in to an existing account. */
function JoinForms({ token, hint, onDecline }: { token: string; hint: string; onDecline: () => void }) {
  const [mode, setMode] = useState<'register' | 'sign-in'>('register');
  const [note, setNote] = useState<string | null>(null);
  return (
    <Stack>
      <Title order={2} size="h4">
        How would you like to join?
      </Title>
      <SegmentedControl
        value={mode}
        onChange={(v) => setMode(v as 'register' | 'sign-in')}
        data={[
          { value: 'register', label: 'I am new to Gatehouse' },
          { value: 'sign-in', label: 'I already have an account' },
        ]}
        aria-label="How would you like to join"
        fullWidth
      />
      {note ? (
        <Alert color="blue" variant="light" styles={{ message: { color: 'var(--mantine-color-dark-8)' } }}>
          {note}
        </Alert>
      ) : null}
      {mode === 'register' ? (
        <RegisterForm
          token={token}
          hint={hint}
          onAccountExists={() => {
            setNote('An account already exists for this address. Sign in with it to accept the invitation.');
            setMode('sign-in');
          }}
        />
      ) : (
        <SignInAndAccept token={token} />
      )}
      <Text size="sm" c="dark.4">
        Not for you?{' '}
        <Anchor component="button" type="button" onClick={onDecline} size="sm">
          Decline this invitation
        </Anchor>
      </Text>
    </Stack>
  );
}

function RegisterForm({ token, hint, onAccountExists }: { token: string; hint: string; onAccountExists: () => void }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ name?: string; password?: string }>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const n = nameProblem(name);
    const pw = passwordProblem(password);
    const errs = { ...(n ? { name: n } : {}), ...(pw ? { password: pw } : {}) };
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    setError(null);
    try {
      // No email: the invitation decides it, so nobody can register someone else's address.
      const res = await call('post', '/api/auth/sign-up', { body: { name: name.trim(), password, invitationToken: token } });
      client.clear();
      navigate(`/w/${(res as { workspaceId: string }).workspaceId}/members`, { replace: true });
    } catch (err) {
      setBusy(false);
      if (isApiError(err, 'account_exists_login_required')) onAccountExists();
      else setError(err);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <TextInput label="Email" value={hint} readOnly variant="filled" description="Fixed: the address this invitation was sent to. Your account uses it." />
        <TextInput label="Your name" autoComplete="name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} required />
        <PasswordInput
          label="Choose a password"
          description={`At least ${PASSWORD_MIN} characters`}
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={errors.password}
          required
        />
        <ErrorAlert error={error} />
        <Button type="submit" loading={busy}>
          Create account and join
        </Button>
      </Stack>
    </form>
  );
}

function SignInAndAccept({ token }: { token: string }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({});
  const [error, setError] = useState<unknown>(null);
  const [step, setStep] = useState<'idle' | 'signing-in' | 'joining'>('idle');

  async function submit(e: FormEvent) {
    e.preventDefault();
    const errs = { ...(isEmail(email) ? {} : { email: 'Enter a valid email address' }), ...(password ? {} : { password: 'Enter your password' }) };
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setError(null);
    try {
      setStep('signing-in');
      const signedIn = await call('post', '/api/auth/sign-in', { body: { email: email.trim(), password } });
      if (signedIn.mfaRequired || signedIn.passwordChangeRequired) {
        // The landing page shows the missing sign-in step, then this invitation again.
        await client.resetQueries();
        return;
      }
      const preview = await call('get', '/api/invitations/{token}', { params: { path: { token } } });
      if (!preview.signedInEmailMatches) {
        // Refetch what the landing page shows: it now explains that the address differs.
        await client.resetQueries();
        return;
      }
      setStep('joining');
      const res = await call('post', '/api/invitations/{token}/accept', { params: { path: { token } } });
      // A new session: nothing cached for the signed-out visitor may survive.
      client.clear();
      navigate(`/w/${res.workspaceId}/members`, { replace: true });
    } catch (err) {
      setStep('idle');
      setError(err);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <TextInput label="Email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={errors.email} required />
        <PasswordInput label="Password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={errors.password} required />
        <ErrorAlert error={error} />
        <Button type="submit" loading={step !== 'idle'}>
          Sign in and join
        </Button>
        {step !== 'idle' ? (
          <Text size="sm" role="status">
            {step === 'signing-in' ? 'Signing you in…' : 'Joining the workspace…'}
          </Text>
        ) : null}
      </Stack>
    </form>
  );
}
