import { Alert, Anchor, Button, Group, Stack, Stepper, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useApiMutation, type Workspace } from '../api/client';
import { InviteForm, InviteSummary, type InviteResult } from '../components/invite-form';
import { nameProblem } from '../forms';
import { usePendingInvitationCount } from '../layout';
import { useMe } from '../session';
import { ErrorAlert, PageTitle } from '../ui';

/** First run (Skyone): name the workspace, then optionally paste the team's addresses. */
export function WelcomePage() {
  const me = useMe();
  const navigate = useNavigate();
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [result, setResult] = useState<InviteResult | null>(null);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | undefined>();
  const pending = usePendingInvitationCount(!!me.data?.user.emailVerified);
  // Decided once: creating the workspace must not retitle the page mid-flow.
  const [first] = useState(() => (me.data?.workspaces.length ?? 0) === 0);
  const create = useApiMutation('post', '/api/workspaces', { invalidates: ['/api/me', '/api/workspaces'], onSuccess: (ws) => setWorkspace(ws) });

  function submit(e: FormEvent) {
    e.preventDefault();
    const problem = nameProblem(name);
    setNameError(problem ?? undefined);
    if (!problem) create.mutate({ body: { name: name.trim() } });
  }

  const open = () => navigate(`/w/${workspace!.id}/members`);

  return (
    <Stack maw={640}>
      <PageTitle>{first ? `Welcome, ${me.data?.user.name ?? ''}` : 'Create a workspace'}</PageTitle>
      {pending > 0 && !workspace ? (
        <Alert color="blue" variant="light" title={`You have ${pending} pending invitation${pending === 1 ? '' : 's'}`} styles={{ title: { color: 'var(--mantine-color-dark-8)' } }}>
          <Text size="sm">
            Someone invited you to their workspace.{' '}
            <Anchor component={Link} to="/invitations">
              Review your invitations
            </Anchor>{' '}
            or create a workspace of your own below.
          </Text>
        </Alert>
      ) : null}
      <Stepper active={workspace ? 1 : 0} allowNextStepsSelect={false} size="sm">
        <Stepper.Step label="Name your workspace" description="Your team's home">
          <form onSubmit={submit} noValidate>
            <Stack mt="md">
              <Text size="sm">A workspace holds your members, invitations, locations and activity. You will be its owner.</Text>
              <TextInput label="Workspace name" placeholder="Acme Ltd" value={name} onChange={(e) => setName(e.currentTarget.value)} error={nameError} required data-autofocus />
              <ErrorAlert error={create.error} />
              <Group>
                <Button type="submit" loading={create.isPending}>
                  Create workspace
                </Button>
              </Group>
            </Stack>
          </form>
        </Stepper.Step>
        <Stepper.Step label="Invite your team" description="Optional">
          {workspace ? (
            <Stack mt="md">
              <Text size="sm">
                <b>{workspace.name}</b> is ready. Paste the addresses of the people you work with; each receives a link to join. You can also do this later from Members.
              </Text>
              {result ? (
                <>
                  <InviteSummary result={result} />
                  <Group>
                    <Button onClick={open}>Go to {workspace.name}</Button>
                    <Button variant="default" onClick={() => setResult(null)}>
                      Invite more
                    </Button>
                  </Group>
                </>
              ) : (
                <InviteForm
                  workspace={workspace}
                  onResult={setResult}
                  secondary={
                    <Button variant="default" onClick={open}>
                      Skip for now
                    </Button>
                  }
                />
              )}
            </Stack>
          ) : null}
        </Stepper.Step>
      </Stepper>
    </Stack>
  );
}
