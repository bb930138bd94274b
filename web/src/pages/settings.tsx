import { Button, CopyButton, Group, NumberInput, Stack, Switch, TagsInput, Text, TextInput, Tooltip } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useApiMutation } from '../api/client';
import { isDomain, nameProblem } from '../forms';
import { ErrorAlert, PageTitle } from '../ui';
import { useWorkspace } from './home';

export function SettingsPage() {
  const ws = useWorkspace();
  if (!ws.abilities.manageSettings || !ws.settings) {
    return (
      <Stack>
        <PageTitle>Settings</PageTitle>
        <Text>Only administrators can see and change the settings of {ws.name}.</Text>
      </Stack>
    );
  }
  return <SettingsForm key={ws.id} />;
}

function SettingsForm() {
  const ws = useWorkspace();
  const s = ws.settings!;
  const [name, setName] = useState(ws.name);
  const [expiry, setExpiry] = useState<number | string>(s.inviteExpiryDays);
  const [domains, setDomains] = useState<string[]>(s.allowedEmailDomains);
  const [guestAdminOnly, setGuestAdminOnly] = useState(s.guestInvitesAdminOnly);
  const [errors, setErrors] = useState<{ name?: string; expiry?: string; domains?: string }>({});
  const [saved, setSaved] = useState(false);
  const save = useApiMutation('patch', '/api/workspaces/{workspaceId}', { invalidates: ['/api/workspaces', '/api/me'], onSuccess: () => setSaved(true) });

  function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const n = nameProblem(name);
    const days = typeof expiry === 'number' ? expiry : Number(expiry);
    const badDomains = domains.filter((d) => !isDomain(d));
    const errs = {
      ...(n ? { name: n } : {}),
      ...(!Number.isInteger(days) || days < 1 || days > 30 ? { expiry: 'Between 1 and 30 days' } : {}),
      ...(badDomains.length ? { domains: `Not a domain name: ${badDomains.join(', ')}` } : {}),
    };
    setErrors(errs);
    if (Object.keys(errs).length) return;
    save.mutate({
      params: { path: { workspaceId: ws.id } },
      body: { name: name.trim(), inviteExpiryDays: days, allowedEmailDomains: domains.map((d) => d.trim().toLowerCase()), guestInvitesAdminOnly: guestAdminOnly },
    });
  }

  return (
    <Stack maw={560}>
      <PageTitle>Settings</PageTitle>
      <Stack gap={4}>
        <Text fw={500} size="sm" id="ws-id-label">
          Workspace ID
        </Text>
        <Group gap="sm">
          <Text ff="monospace" fz="lg" aria-labelledby="ws-id-label" data-testid="workspace-public-id">
            {ws.publicId}
          </Text>
          <CopyButton value={ws.publicId ?? ''}>
            {({ copied, copy }) => (
              <Tooltip label={copied ? 'Copied' : 'Copy to clipboard'} withArrow>
                <Button size="xs" variant="default" onClick={copy} aria-label="Copy the Workspace ID">
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              </Tooltip>
            )}
          </CopyButton>
        </Group>
        <Text size="xs" c="dark.4">
          Share it with partner workspaces that want to work with yours.
        </Text>
      </Stack>
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput label="Workspace name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} required />
          <NumberInput label="Invitations expire after (days)" min={1} max={30} value={expiry} onChange={setExpiry} error={errors.expiry} allowDecimal={false} clampBehavior="none" />
          <TagsInput
            label="Allowed email domains"
            description="Only addresses at these domains can be invited. Leave empty to allow any domain."
            placeholder={domains.length ? undefined : 'example.com'}
            value={domains}
            onChange={setDomains}
            splitChars={[',', ' ', ';']}
            clearable
            error={errors.domains}
          />
          <Switch label="Only administrators may invite guests" checked={guestAdminOnly} onChange={(e) => setGuestAdminOnly(e.currentTarget.checked)} />
          <ErrorAlert error={save.error} />
          <Group>
            <Button type="submit" loading={save.isPending}>
              Save settings
            </Button>
            {saved ? (
              <Text size="sm" c="#1e6b34" role="status">
                Saved.
              </Text>
            ) : null}
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
