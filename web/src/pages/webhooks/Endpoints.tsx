/**
 * Outbound webhook endpoints (`/settings/webhooks`): add one (URL, description, events; the
 * `whsec_` signing secret is shown once), the list with each endpoint's state, and the dead
 * letters of every endpoint with replay.
 */
import { Anchor, Button, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';

import { EmptyState, LoadMore, PageHeader, TableSkeleton, useFormatDate } from '../../components/common';
import { fieldError, ProblemAlert } from '../../components/ProblemAlert';
import { Panel, QueryError, TableScroll } from '../brain/components/Panel';
import { useCreateEndpoint, useEndpoints, type EndpointWithSecret, type EventType } from './api';
import { DeadLetters } from './components/DeadLetters';
import { EndpointStatus } from './components/EndpointStatus';
import { EventPicker } from './components/EventPicker';
import { SecretDialog } from './components/SecretDialog';
import { useHookT } from './i18n';

export function validUrl(value: string): boolean {
  try {
    const url = new URL(value.trim());
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

function CreateEndpoint({ onCreated }: { onCreated: (endpoint: EndpointWithSecret) => void }) {
  const t = useHookT();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<EventType[]>(['sync.completed', 'sync.failed', 'webhook.test']);
  const [invalid, setInvalid] = useState<{ url?: boolean; events?: boolean }>({});
  const create = useCreateEndpoint();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problems = { url: !validUrl(url), events: events.length === 0 };
    setInvalid(problems);
    if (problems.url || problems.events) return;
    create.mutate(
      { url: url.trim(), events, description: description.trim() || null },
      {
        onSuccess: (created) => {
          setUrl('');
          setDescription('');
          onCreated(created);
        },
      },
    );
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        <TextInput
          label={t('create.url')}
          description={t('create.urlHint')}
          placeholder="https://example.com/brain/webhooks"
          type="url"
          required
          value={url}
          onChange={(e) => setUrl(e.currentTarget.value)}
          error={invalid.url ? t('create.urlInvalid') : fieldError(create.error, 'url')}
          maw={560}
        />
        <TextInput label={t('create.description')} value={description} onChange={(e) => setDescription(e.currentTarget.value)} maxLength={500} maw={560} />
        <EventPicker value={events} onChange={setEvents} error={invalid.events ? t('create.eventsNone') : fieldError(create.error, 'events')} />
        <ProblemAlert error={create.error} />
        <Group>
          <Button type="submit" loading={create.isPending}>
            {t('create.submit')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export default function Endpoints() {
  const t = useHookT();
  const navigate = useNavigate();
  const formatDate = useFormatDate();
  const endpoints = useEndpoints();
  const [created, setCreated] = useState<EndpointWithSecret | null>(null);
  const rows = endpoints.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <Stack>
      <PageHeader title={t('list.title')} subtitle={t('list.subtitle')} />
      <SecretDialog
        secret={created?.secret ?? null}
        title={t('secret.createdTitle')}
        onClose={() => {
          const id = created?.id;
          setCreated(null);
          if (id) navigate(`/settings/webhooks/${id}`);
        }}
      />
      <Panel title={t('create.title')}>
        <CreateEndpoint onCreated={setCreated} />
      </Panel>
      <Panel title={t('list.caption')}>
        {endpoints.isLoading && <TableSkeleton rows={3} />}
        {endpoints.error && <QueryError error={endpoints.error} onRetry={() => void endpoints.refetch()} />}
        {endpoints.isSuccess && rows.length === 0 && <EmptyState>{t('list.empty')}</EmptyState>}
        {rows.length > 0 && (
          <TableScroll label={t('list.caption')}>
            <Table withTableBorder miw={680} verticalSpacing="sm">
              <caption className="visually-hidden">{t('list.caption')}</caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('list.url')}</Table.Th>
                  <Table.Th scope="col">{t('list.events')}</Table.Th>
                  <Table.Th scope="col">{t('list.status')}</Table.Th>
                  <Table.Th scope="col">{t('list.created')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((endpoint) => (
                  <Table.Tr key={endpoint.id}>
                    <Table.Th scope="row" fw={500}>
                      <Anchor component={Link} to={`/settings/webhooks/${endpoint.id}`} style={{ overflowWrap: 'anywhere' }}>
                        {endpoint.url}
                      </Anchor>
                      {endpoint.description && (
                        <Text size="xs" c="dimmed">
                          {endpoint.description}
                        </Text>
                      )}
                    </Table.Th>
                    <Table.Td>
                      <Text size="sm" title={endpoint.events.join(', ')}>
                        {t('list.eventsCount', { n: endpoint.events.length })}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <EndpointStatus endpoint={endpoint} />
                    </Table.Td>
                    <Table.Td>{formatDate(endpoint.created_at)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        )}
        <LoadMore query={endpoints} />
      </Panel>
      <Panel title={t('dead.title')}>
        <Text size="sm" c="dimmed">
          {t('dead.intro')}
        </Text>
        <DeadLetters direction="outbound" />
      </Panel>
    </Stack>
  );
}
