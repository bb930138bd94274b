import { Alert, Button, Code, Group, Image, List, Paper, ScrollArea, Stack, Text, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { call, invalidatePaths, useApiQuery, type Workspace } from '../api/client';
import { ErrorAlert, PageLoader, PageTitle } from '../ui';

/**
 * What a member must do before using a workspace (`pendingRequirements`): accept its terms of
 * service, then turn on two-step verification. The API refuses every other call until then.
 */
export function WorkspaceRequirements({ workspace }: { workspace: Workspace }) {
  const first = workspace.pendingRequirements[0];
  return (
    <Stack maw={620}>
      <PageTitle>Before you use {workspace.name}</PageTitle>
      {workspace.pendingRequirements.length > 1 ? (
        <Text size="sm">
          {workspace.name} asks for {workspace.pendingRequirements.length} things first: accepting its terms of service, then two-step verification.
        </Text>
      ) : null}
      {first === 'terms' ? <AcceptTerms workspace={workspace} /> : first === 'mfa' ? <EnrolMfa workspace={workspace} /> : null}
    </Stack>
  );
}

function AcceptTerms({ workspace }: { workspace: Workspace }) {
  const client = useQueryClient();
  const terms = useApiQuery('/api/workspaces/{workspaceId}/terms', { path: { workspaceId: workspace.id } });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (terms.isPending) return <PageLoader label="Loading the terms…" />;
  if (terms.error) return <ErrorAlert error={terms.error} />;
  const accept = async () => {
    setBusy(true);
    setError(null);
    try {
      await call('post', '/api/workspaces/{workspaceId}/terms/accept', { params: { path: { workspaceId: workspace.id } }, body: { version: terms.data.version } });
      await invalidatePaths(client, ['/api/workspaces', '/api/me']);
    } catch (e) {
      setError(e);
      await terms.refetch();
    } finally {
      setBusy(false);
    }
  };
  return (
    <Stack>
      <Text fw={600}>Terms of service (version {terms.data.version})</Text>
      <Paper withBorder p="md" radius="md">
        <ScrollArea.Autosize mah={360} type="auto">
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} tabIndex={0} aria-label="Terms of service text">
            {terms.data.text}
          </Text>
        </ScrollArea.Autosize>
      </Paper>
      <ErrorAlert error={error} />
      <Group>
        <Button onClick={accept} loading={busy}>
          I accept these terms
        </Button>
      </Group>
    </Stack>
  );
}

function EnrolMfa({ workspace }: { workspace: Workspace }) {
  const client = useQueryClient();
  return (
    <TotpEnrolment
      intro={`${workspace.name} requires a code from an authenticator app (for example Google Authenticator, 1Password or Authy) each time you sign in on a new device.`}
      doneLabel={`I saved them, continue to ${workspace.name}`}
      onDone={() => invalidatePaths(client, ['/api/workspaces', '/api/me'])}
    />
  );
}

/** TOTP enrolment: QR code + manual key, confirm with a code, then the 10 recovery codes once. */
export function TotpEnrolment({ intro, doneLabel, onDone }: { intro: string; doneLabel: string; onDone: () => unknown }) {
  const [setup, setSetup] = useState<{ secret: string; qrCodeDataUrl: string } | null>(null);
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | undefined>();
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      setSetup(await call('post', '/api/me/mfa/totp', {}));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    const value = code.replace(/\s+/g, '');
    const problem = /^\d{6}$/.test(value) ? null : 'Enter the 6 digits your app shows';
    setCodeError(problem ?? undefined);
    if (problem) return;
    setBusy(true);
    setError(null);
    try {
      const res = await call('post', '/api/me/mfa/totp/confirm', { body: { code: value } });
      setRecoveryCodes(res.recoveryCodes);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (recoveryCodes) {
    return (
      <Stack>
        <Alert color="green" variant="light" title="Two-step verification is on" styles={{ title: { color: 'var(--mantine-color-dark-8)' } }}>
          <Text size="sm">Save these recovery codes somewhere safe. Each works once if you lose your phone; they are not shown again.</Text>
        </Alert>
        <List spacing={2} data-testid="recovery-codes">
          {recoveryCodes.map((c) => (
            <List.Item key={c}>
              <Code>{c}</Code>
            </List.Item>
          ))}
        </List>
        <Group>
          <Button onClick={() => void onDone()}>{doneLabel}</Button>
        </Group>
      </Stack>
    );
  }

  return (
    <Stack>
      <Text fw={600}>Turn on two-step verification</Text>
      <Text size="sm">{intro}</Text>
      {!setup ? (
        <Group>
          <Button onClick={start} loading={busy}>
            Set up an authenticator app
          </Button>
        </Group>
      ) : (
        <form onSubmit={confirm} noValidate>
          <Stack>
            <Text size="sm">1. Scan this QR code with your app, or type the key below.</Text>
            <Image src={setup.qrCodeDataUrl} alt="QR code to add Gatehouse to your authenticator app" w={180} h={180} />
            <Text size="sm">
              Key: <Code data-testid="totp-secret">{setup.secret}</Code>
            </Text>
            <TextInput label="2. Enter the 6-digit code from the app" value={code} onChange={(e) => setCode(e.currentTarget.value)} error={codeError} autoComplete="one-time-code" inputMode="numeric" w={260} />
            <Group>
              <Button type="submit" loading={busy}>
                Turn on
              </Button>
            </Group>
          </Stack>
        </form>
      )}
      <ErrorAlert error={error} />
    </Stack>
  );
}
