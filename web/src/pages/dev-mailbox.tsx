import { Anchor, Button, Grid, Group, Paper, SegmentedControl, Stack, Text, TextInput, Title, UnstyledButton } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { Link } from 'react-router';
import { useApiInfiniteQuery, type Schemas } from '../api/client';
import { EmptyHint, ErrorAlert, formatDateTime, isApiError, PageLoader, PageTitle } from '../ui';

type Mail = Schemas['DevMail'];

/** Links in a mail's text version, shown as plain anchors (the HTML is never given scripts or navigation). */
function linksOf(text: string): string[] {
  return [...new Set(text.match(/https?:\/\/[^\s<>"')]+/g) ?? [])];
}

/** The dev mailbox (no SMTP configured): every mail Gatehouse sent, newest first. */
export function DevMailboxPage() {
  const [to, setTo] = useState('');
  const [q] = useDebouncedValue(to.trim(), 300);
  const list = useApiInfiniteQuery('/api/dev/mailbox', { query: { limit: 25, ...(q ? { to: q } : {}) } });
  const mails = list.data?.pages.flatMap((p) => p.items) ?? [];
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const selected = mails.find((m) => m.id === selectedId) ?? mails[0];

  if (isApiError(list.error, 'not_found')) {
    return (
      <Paper withBorder p="xl">
        <PageTitle>Dev mailbox is off</PageTitle>
        <Text>This server sends real email (SMTP is configured), so there is no dev mailbox.</Text>
      </Paper>
    );
  }

  return (
    <Stack>
      <Group justify="space-between">
        <PageTitle>Dev mailbox</PageTitle>
        <Anchor component={Link} to="/">
          Back to Gatehouse
        </Anchor>
      </Group>
      <Text size="sm" c="dark.4">
        No SMTP server is configured, so Gatehouse keeps every email here instead of sending it. Never use this in production.
      </Text>
      <TextInput label="Recipient" placeholder="Filter by exact address" value={to} onChange={(e) => setTo(e.currentTarget.value)} maw={360} type="search" />
      <ErrorAlert error={list.error} />
      {list.isPending ? (
        <PageLoader label="Loading mails…" />
      ) : mails.length === 0 ? (
        <EmptyHint title="No mails yet">{q ? `Nothing was sent to ${q}.` : 'Invitations and verification emails appear here as soon as they are sent.'}</EmptyHint>
      ) : (
        <Grid>
          <Grid.Col span={{ base: 12, md: 4 }}>
            <Stack gap={6} component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label="Mails">
              {mails.map((m) => (
                <li key={m.id}>
                  <UnstyledButton
                    onClick={() => setSelectedId(m.id)}
                    aria-current={m.id === selected?.id ? 'true' : undefined}
                    p="sm"
                    w="100%"
                    style={{ borderRadius: 8, border: '1px solid var(--mantine-color-gray-4)', background: m.id === selected?.id ? 'var(--mantine-color-blue-0)' : 'white' }}
                  >
                    <Text size="sm" fw={600} lineClamp={2}>
                      {m.subject}
                    </Text>
                    <Text size="xs" c="dark.4">
                      To {m.to} · {formatDateTime(m.createdAt)}
                    </Text>
                  </UnstyledButton>
                </li>
              ))}
            </Stack>
            {list.hasNextPage ? (
              <Button variant="default" mt="sm" onClick={() => list.fetchNextPage()} loading={list.isFetchingNextPage}>
                Load more
              </Button>
            ) : null}
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 8 }}>{selected ? <MailView key={selected.id} mail={selected} /> : null}</Grid.Col>
        </Grid>
      )}
    </Stack>
  );
}

function MailView({ mail }: { mail: Mail }) {
  const [view, setView] = useState<'html' | 'text'>('html');
  const links = linksOf(mail.text);
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} size="h4" mb={4}>
        {mail.subject}
      </Title>
      <Text size="sm">
        From {mail.from} · To <b>{mail.to}</b> · {formatDateTime(mail.createdAt)}
      </Text>
      {links.length ? (
        <Stack gap={4} my="sm">
          <Text size="sm" fw={600}>
            Links in this mail
          </Text>
          {links.map((href) => (
            <Anchor key={href} href={href} size="sm" style={{ wordBreak: 'break-all' }} rel="noreferrer">
              {href}
            </Anchor>
          ))}
        </Stack>
      ) : null}
      <SegmentedControl
        my="sm"
        size="xs"
        value={view}
        onChange={(v) => setView(v as 'html' | 'text')}
        data={[
          { value: 'html', label: 'HTML' },
          { value: 'text', label: 'Plain text' },
        ]}
        aria-label="Mail format"
      />
      {view === 'html' ? (
        // sandbox="" : no scripts, no forms, no navigation, unique origin; srcdoc keeps it off the network.
        <iframe title={`Email: ${mail.subject}`} sandbox="" srcDoc={mail.html} style={{ width: '100%', height: 480, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8, background: 'white' }} />
      ) : (
        <Text component="pre" size="sm" style={{ whiteSpace: 'pre-wrap' }}>
          {mail.text}
        </Text>
      )}
    </Paper>
  );
}
