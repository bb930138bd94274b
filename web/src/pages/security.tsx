import { Alert, Badge, Button, Code, Group, List, PasswordInput, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useApiMutation, useApiQuery, type GetPath, type Schemas } from '../api/client';
import { ConfirmDialog } from '../components/confirm';
import { Dialog } from '../components/dialog';
import { EmptyHint, ErrorAlert, formatDateTime, PageLoader, PageTitle } from '../ui';
import { TotpEnrolment } from './requirements';

type Device = Schemas['TrustedDevice'];

const MFA_PATHS: readonly GetPath[] = ['/api/me/mfa', '/api/me', '/api/me/devices'];
const DEVICE_PATHS: readonly GetPath[] = ['/api/me/devices'];

/**
 * The signed-in person's own security: two-step verification (enrol, disable, new recovery
 * codes), trusted devices (trust this browser, approve with the emailed code, remove) and
 * sessions (sign one out). The security-notice emails link here.
 */
export function SecurityPage() {
  return (
    <Stack gap="xl">
      <PageTitle>Security</PageTitle>
      <MfaSection />
      <DevicesSection />
      <SessionsSection />
    </Stack>
  );
}

function MfaSection() {
  const mfa = useApiQuery('/api/me/mfa');
  const [enrolling, setEnrolling] = useState(false);
  const [dialog, setDialog] = useState<null | 'disable' | 'codes'>(null);
  if (mfa.isPending) return <PageLoader label="Loading two-step verification…" />;
  if (mfa.error) return <ErrorAlert error={mfa.error} />;
  const s = mfa.data;
  return (
    <Stack component="section" aria-labelledby="mfa-title">
      <Group justify="space-between">
        <Title order={2} size="h3" id="mfa-title">
          Two-step verification
        </Title>
        <Badge color={s.enabled ? '#1e6b34' : '#495057'} variant="filled">
          {s.enabled ? 'On' : 'Off'}
        </Badge>
      </Group>
      {s.enabled ? (
        <>
          <Text size="sm">
            On since {s.enabledAt ? formatDateTime(s.enabledAt) : '—'}. {s.recoveryCodesRemaining} of 10 recovery codes left.
          </Text>
          <Group>
            <Button variant="default" onClick={() => setDialog('codes')}>
              New recovery codes
            </Button>
            <Button color="#b02525" variant="outline" onClick={() => setDialog('disable')}>
              Turn off
            </Button>
          </Group>
        </>
      ) : enrolling ? (
        <TotpEnrolment
          intro="Each sign-in on a new device will ask for a code from an authenticator app (for example Google Authenticator, 1Password or Authy)."
          doneLabel="I saved them"
          onDone={async () => {
            setEnrolling(false);
            await mfa.refetch();
          }}
        />
      ) : (
        <>
          <Text size="sm">Protect your account with a code from an authenticator app at each sign-in on a new device.</Text>
          <Group>
            <Button onClick={() => setEnrolling(true)}>Turn on two-step verification</Button>
          </Group>
        </>
      )}
      <ReauthDialog opened={dialog === 'disable'} onClose={() => setDialog(null)} mode="disable" />
      <ReauthDialog opened={dialog === 'codes'} onClose={() => setDialog(null)} mode="codes" />
    </Stack>
  );
}

/** Password + a current code (or a recovery code) before turning MFA off or replacing the recovery codes. */
function ReauthDialog({ opened, onClose, mode }: { opened: boolean; onClose: () => void; mode: 'disable' | 'codes' }) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<{ password?: string; code?: string }>({});
  const [codes, setCodes] = useState<string[] | null>(null);
  const disable = useApiMutation('post', '/api/me/mfa/disable', { invalidates: MFA_PATHS, onSuccess: () => close() });
  const regenerate = useApiMutation('post', '/api/me/mfa/recovery-codes', { invalidates: ['/api/me/mfa'], onSuccess: (d) => setCodes(d.recoveryCodes) });
  const m = mode === 'disable' ? disable : regenerate;
  const close = () => {
    setPassword('');
    setCode('');
    setErrors({});
    setCodes(null);
    disable.reset();
    regenerate.reset();
    onClose();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value = code.replace(/\s+/g, '');
    const errs = {
      ...(password ? {} : { password: 'Enter your password' }),
      ...(/^\d{6}$/.test(value) || value.length >= 10 ? {} : { code: 'Enter the 6 digits from your app, or a recovery code' }),
    };
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const body = { password, ...(/^\d{6}$/.test(value) ? { code: value } : { recoveryCode: value }) };
    m.mutate({ body });
  };
  return (
    <Dialog opened={opened} onClose={close} title={mode === 'disable' ? 'Turn off two-step verification?' : 'Replace your recovery codes?'}>
      {codes ? (
        <Stack>
          <Alert color="green" variant="light" title="New recovery codes" styles={{ title: { color: 'var(--mantine-color-dark-8)' } }}>
            <Text size="sm">Save them somewhere safe: they are shown only now. The previous codes no longer work.</Text>
          </Alert>
          <List spacing={2} data-testid="new-recovery-codes">
            {codes.map((c) => (
              <List.Item key={c}>
                <Code>{c}</Code>
              </List.Item>
            ))}
          </List>
          <Group justify="flex-end">
            <Button onClick={close} data-autofocus>
              I saved them
            </Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <Text size="sm">
              {mode === 'disable'
                ? 'Sign-ins will ask only for your password, and every trusted device is removed. Confirm with your password and a current code.'
                : 'Your current recovery codes stop working. Confirm with your password and a current code.'}
            </Text>
            <PasswordInput label="Password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={errors.password} data-autofocus />
            <TextInput label="Code from your app (or a recovery code)" value={code} onChange={(e) => setCode(e.currentTarget.value)} error={errors.code} autoComplete="one-time-code" />
            <ErrorAlert error={m.error} />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={m.isPending} color={mode === 'disable' ? '#b02525' : undefined}>
                {mode === 'disable' ? 'Turn off' : 'Replace codes'}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Dialog>
  );
}

const DEVICE_STATUS: Record<Device['status'], { label: string; color: string }> = {
  pending_approval: { label: 'Pending approval', color: '#8f4d00' },
  approved: { label: 'Approved', color: '#1e6b34' },
  removed: { label: 'Removed', color: '#495057' },
};

function DevicesSection() {
  const devices = useApiQuery('/api/me/devices');
  const trust = useApiMutation('post', '/api/me/devices', { invalidates: DEVICE_PATHS });
  const items = devices.data?.items ?? [];
  const currentTrusted = items.some((d) => d.current && d.status !== 'removed');
  return (
    <Stack component="section" aria-labelledby="devices-title">
      <Group justify="space-between">
        <Title order={2} size="h3" id="devices-title">
          Trusted devices
        </Title>
        {!currentTrusted && devices.data ? (
          <Button variant="default" loading={trust.isPending} onClick={() => trust.mutate({ body: {} })}>
            Trust this browser
          </Button>
        ) : null}
      </Group>
      <Text size="sm">A trusted browser skips the code from your app at sign-in. At most 20; remove the ones you no longer use.</Text>
      <ErrorAlert error={trust.error ?? devices.error} />
      {devices.isPending ? (
        <PageLoader label="Loading devices…" />
      ) : items.length === 0 ? (
        <EmptyHint title="No trusted devices">Trust this browser to skip the second step here.</EmptyHint>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing="sm" aria-label="Trusted devices">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Device</Table.Th>
                <Table.Th>IP address</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((d) => (
                <DeviceRow key={d.id} device={d} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

function DeviceRow({ device: d }: { device: Device }) {
  const [dialog, setDialog] = useState<null | 'remove' | 'approve'>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const remove = useApiMutation('delete', '/api/me/devices/{deviceId}', { invalidates: DEVICE_PATHS });
  const resend = useApiMutation('post', '/api/me/devices/{deviceId}/resend-code', { onSuccess: () => setNotice('A new code was sent to your email.') });
  const path = { deviceId: d.id };
  const s = DEVICE_STATUS[d.status];
  const kind = [d.browser, d.os].filter(Boolean).join(' on ');
  return (
    <Table.Tr data-testid={`device-row-${d.id}`}>
      <Table.Td>
        <Text size="sm" fw={600}>
          {d.name}
          {d.current ? ' (this device)' : ''}
        </Text>
        {kind && kind !== d.name ? (
          <Text size="xs" c="dark.4">
            {kind}
          </Text>
        ) : null}
        {notice ? (
          <Text size="xs" c="#1e6b34" role="status">
            {notice}
          </Text>
        ) : null}
        <ErrorAlert error={resend.error} />
      </Table.Td>
      <Table.Td>
        <Text size="sm">{d.ip ?? '—'}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatDateTime(d.lastUsedAt)}</Text>
      </Table.Td>
      <Table.Td>
        <Badge color={s.color} variant="filled">
          {s.label}
        </Badge>
      </Table.Td>
      <Table.Td>
        {d.status !== 'removed' ? (
          <Group gap="xs" wrap="nowrap" justify="flex-end">
            {d.status === 'pending_approval' ? (
              <>
                <Button size="compact-sm" onClick={() => setDialog('approve')}>
                  Approve
                </Button>
                <Button size="compact-sm" variant="subtle" loading={resend.isPending} onClick={() => resend.mutate({ params: { path } })}>
                  Resend code
                </Button>
              </>
            ) : null}
            <Button size="compact-sm" variant="subtle" color="#b02525" onClick={() => setDialog('remove')} aria-label={`Remove ${d.name}`}>
              Remove
            </Button>
          </Group>
        ) : null}
        <ConfirmDialog opened={dialog === 'remove'} onClose={() => setDialog(null)} title={`Remove ${d.name}?`} confirmLabel="Remove device" onConfirm={() => remove.mutateAsync({ params: { path } })}>
          {d.current ? 'This browser will ask for a code from your app again at the next sign-in.' : 'That device will ask for a code from your app again at its next sign-in.'}
        </ConfirmDialog>
        <ApproveDialog opened={dialog === 'approve'} onClose={() => setDialog(null)} device={d} />
      </Table.Td>
    </Table.Tr>
  );
}

function ApproveDialog({ opened, onClose, device }: { opened: boolean; onClose: () => void; device: Device }) {
  const [code, setCode] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const approve = useApiMutation('post', '/api/me/devices/{deviceId}/approve', { invalidates: DEVICE_PATHS, onSuccess: () => close() });
  const close = () => {
    setCode('');
    setFieldError(undefined);
    approve.reset();
    onClose();
  };
  return (
    <Dialog opened={opened} onClose={close} title={`Approve ${device.name}`}>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const value = code.replace(/\s+/g, '');
          const problem = /^\d{6}$/.test(value) ? undefined : 'Enter the 6 digits from the email';
          setFieldError(problem);
          if (!problem) approve.mutate({ params: { path: { deviceId: device.id } }, body: { code: value } });
        }}
      >
        <Stack>
          <Text size="sm">We emailed you a 6-digit code, valid 5 minutes.</Text>
          <TextInput label="Code from the email" value={code} onChange={(e) => setCode(e.currentTarget.value)} error={fieldError} autoComplete="one-time-code" inputMode="numeric" data-autofocus />
          <ErrorAlert error={approve.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={approve.isPending}>
              Approve
            </Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}

function SessionsSection() {
  const sessions = useApiQuery('/api/me/sessions');
  const items = sessions.data?.items ?? [];
  return (
    <Stack component="section" aria-labelledby="sessions-title">
      <Title order={2} size="h3" id="sessions-title">
        Sessions
      </Title>
      <Text size="sm">Where you are signed in. Sign out any session you do not recognise.</Text>
      <ErrorAlert error={sessions.error} />
      {sessions.isPending ? (
        <PageLoader label="Loading sessions…" />
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing="sm" aria-label="Sessions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Browser</Table.Th>
                <Table.Th>IP address</Table.Th>
                <Table.Th>Signed in</Table.Th>
                <Table.Th>Last seen</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((s) => (
                <SessionRow key={s.id} session={s} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

type Session = NonNullable<ReturnType<typeof useApiQuery<'/api/me/sessions'>>['data']>['items'][number];

function SessionRow({ session: s }: { session: Session }) {
  const [confirm, setConfirm] = useState(false);
  const end = useApiMutation('delete', '/api/me/sessions/{sessionId}', { invalidates: ['/api/me/sessions'] });
  return (
    <Table.Tr>
      <Table.Td>
        <Text size="sm" fw={600} lineClamp={2} maw={320}>
          {s.userAgent ?? 'Unknown browser'}
          {s.current ? ' (this session)' : ''}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{s.ip ?? '—'}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatDateTime(s.createdAt)}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatDateTime(s.lastSeenAt)}</Text>
      </Table.Td>
      <Table.Td>
        {!s.current ? (
          <Button size="compact-sm" variant="subtle" color="#b02525" onClick={() => setConfirm(true)}>
            Sign out
          </Button>
        ) : null}
        <ConfirmDialog opened={confirm} onClose={() => setConfirm(false)} title="Sign out this session?" confirmLabel="Sign out" onConfirm={() => end.mutateAsync({ params: { path: { sessionId: s.id } } })}>
          That browser has to sign in again.
        </ConfirmDialog>
      </Table.Td>
    </Table.Tr>
  );
}
