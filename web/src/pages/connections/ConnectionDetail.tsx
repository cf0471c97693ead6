/**
 * One connection (`/connections/:id`): health (status, last/next sync, last error, a test
 * with the access checklist, authorizing the same connection again when the platform stopped
 * accepting it or the key changed), a manual sync with live progress, the sync history,
 * streams and schedule, real-time webhooks for platforms that push them (with this
 * connection's failed events), and disconnect.
 * The OAuth callback lands here with `?connected=1` (a toast, and a prompt to finish setup)
 * or `?error=authorization-refused` (an alert, and a way to start again).
 */
import { Alert, Button, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';

import { useSession } from '../../auth/session';
import { PageHeader, PageSkeleton, useFormatDate } from '../../components/common';
import { DetailUnavailable } from '../../components/DetailUnavailable';
import { ProblemAlert } from '../../components/ProblemAlert';
import { notifySuccess } from '../../lib/notify';
import { Panel } from '../brain/components/Panel';
import { tone } from '../brain/i18n';
import { DeadLetters } from '../webhooks/components/DeadLetters';
import {
  useConnection,
  useDeleteConnection,
  useProvider,
  useSyncHistory,
  useTestConnection,
  useUpdateConnection,
  type Connection,
  type Provider,
} from './api';
import { Checklist } from './components/Checklist';
import { DisconnectDialog } from './components/DisconnectDialog';
import { InboundWebhook, supportsInbound } from './components/InboundWebhook';
import { ManualSync } from './components/ManualSync';
import { OauthErrorAlert } from './components/OauthErrorAlert';
import { Reauthorize } from './components/Reauthorize';
import { ScheduleSelect, StreamSwitches, streamState } from './components/StreamSettings';
import { ConnectionStatusBadge, SandboxBadge } from './components/StatusBadge';
import { SyncHistory } from './components/SyncHistory';
import { useConnT } from './i18n';

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={600} component="dt">
        {label}
      </Text>
      <Text size="sm" component="dd" m={0} style={{ overflowWrap: 'anywhere' }}>
        {children}
      </Text>
    </div>
  );
}

function Health({ connection, provider, writable }: { connection: Connection; provider: Provider | undefined; writable: boolean }) {
  const t = useConnT();
  const formatDate = useFormatDate();
  const test = useTestConnection(connection.id);
  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm" component="dl" m={0}>
        <Fact label={t('detail.status')}>
          <ConnectionStatusBadge status={connection.status} />
        </Fact>
        <Fact label={t('detail.lastSync')}>{formatDate(connection.last_sync_at)}</Fact>
        <Fact label={t('detail.nextSync')}>{connection.next_sync_at ? formatDate(connection.next_sync_at) : '—'}</Fact>
        <Fact label={t('detail.created')}>{formatDate(connection.created_at)}</Fact>
        <Fact label={t('detail.scopes')}>{connection.granted_scopes.length ? connection.granted_scopes.join(', ') : t('detail.none')}</Fact>
        {connection.last_error && (
          <Fact label={t('detail.lastError')}>
            <span style={{ color: tone('red') }}>{connection.last_error}</span>
          </Fact>
        )}
      </SimpleGrid>
      {writable && <Reauthorize connection={connection} provider={provider} />}
      {writable && connection.status !== 'pending' && (
        <Stack gap="sm" align="flex-start">
          <Button variant="default" onClick={() => test.mutate()} loading={test.isPending}>
            {t('detail.test')}
          </Button>
          <ProblemAlert error={test.error} />
          {test.data && provider && (
            <div style={{ alignSelf: 'stretch' }}>
              <Checklist test={test.data} auth={provider.auth} sandbox={connection.sandbox} scopes={provider.scopes} />
            </div>
          )}
        </Stack>
      )}
    </Stack>
  );
}

function Settings({ connection, provider }: { connection: Connection; provider: Provider | undefined }) {
  const t = useConnT();
  const [changes, setChanges] = useState<Record<string, boolean>>({});
  const [schedule, setSchedule] = useState<number | null>(connection.schedule_minutes);
  const [none, setNone] = useState(false);
  const update = useUpdateConnection(connection.id);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const streams = streamState(connection, changes);
    if (!Object.values(streams).some(Boolean)) return setNone(true);
    setNone(false);
    update.mutate({ streams, schedule_minutes: schedule }, { onSuccess: () => {
      setChanges({});
      notifySuccess(t('settings.saved'));
    } });
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        <StreamSwitches connection={connection} provider={provider} value={changes} onChange={setChanges} error={none ? t('streams.none') : undefined} />
        <ScheduleSelect value={schedule} onChange={setSchedule} />
        <ProblemAlert error={update.error} />
        <Group>
          <Button type="submit" variant="light" loading={update.isPending}>
            {t('settings.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** `?connected=1` from the OAuth callback: a toast once, and the address cleaned. */
function useConnectedNotice(connection: Connection | undefined): boolean {
  const t = useConnT();
  const [params, setParams] = useSearchParams();
  const [show, setShow] = useState(false);
  const shown = useRef(false);
  useEffect(() => {
    if (!connection || shown.current || params.get('connected') !== '1') return;
    shown.current = true;
    setShow(true);
    notifySuccess(t('oauth.connectedToast', { name: connection.name }));
    const next = new URLSearchParams(params);
    next.delete('connected');
    setParams(next, { replace: true });
  }, [connection, params, setParams, t]);
  return show;
}

export default function ConnectionDetail() {
  const t = useConnT();
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const { can } = useSession();
  const connection = useConnection(id);
  const data = connection.data;
  const provider = useProvider(data?.provider);
  const history = useSyncHistory(id);
  const latest = history.data?.pages[0]?.data[0] ?? null;
  const [disconnecting, setDisconnecting] = useState(false);
  const disconnect = useDeleteConnection(id);
  const justConnected = useConnectedNotice(data);
  const writable = can('integrations:write');

  if (connection.isLoading) return <PageSkeleton rows={4} />;
  if (!data) {
    return (
      <DetailUnavailable
        title={t('list.title')}
        error={connection.error}
        onRetry={() => void connection.refetch()}
        notFound={t('detail.notFound')}
        backTo="/connections"
        backLabel={t('detail.back')}
      />
    );
  }

  const providerName = provider?.name ?? data.provider;
  const inbound = supportsInbound(data.provider) && !data.sandbox;
  return (
    <Stack>
      <PageHeader
        title={data.name}
        subtitle={providerName}
        actions={
          <Group gap="xs">
            {data.sandbox && <SandboxBadge />}
            <ConnectionStatusBadge status={data.status} />
            <Button component={Link} to="/connections" variant="subtle">
              {t('detail.back')}
            </Button>
          </Group>
        }
      />
      <OauthErrorAlert retryTo={writable ? `/connections/new?connection=${data.id}` : undefined} />
      {justConnected && (
        <Alert color="green" variant="light" title={t('oauth.connectedTitle')}>
          <Stack gap="xs" align="flex-start">
            <Text size="sm">{t('oauth.connectedBody')}</Text>
            {writable && (
              <Button component={Link} to={`/connections/new?connection=${data.id}`} size="xs">
                {t('oauth.continueSetup')}
              </Button>
            )}
          </Stack>
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, lg: writable ? 2 : 1 }}>
        <Panel title={t('detail.health')}>
          <Health connection={data} provider={provider} writable={writable} />
        </Panel>
        {writable && (
          <Panel title={t('manual.title')}>
            <ManualSync connection={data} running={latest} />
          </Panel>
        )}
      </SimpleGrid>
      <Panel title={t('history.title')}>
        <SyncHistory connectionId={data.id} />
      </Panel>
      {writable && (
        <Panel title={t('settings.title')}>
          <Settings key={data.updated_at} connection={data} provider={provider} />
        </Panel>
      )}
      {writable && inbound && (
        <Panel title={t('inbound.title')}>
          <InboundWebhook connection={data} providerName={providerName} />
        </Panel>
      )}
      {inbound && can('webhooks:manage') && (
        <Panel title={t('deadLetters.inboundTitle')}>
          <Text size="sm" c="dimmed">
            {t('deadLetters.inboundIntro')}
          </Text>
          <DeadLetters direction="inbound" connectionId={data.id} />
        </Panel>
      )}
      {writable && (
        <Group>
          <Button color="red" variant="light" onClick={() => setDisconnecting(true)}>
            {t('disconnect.button')}
          </Button>
        </Group>
      )}
      <DisconnectDialog
        opened={disconnecting}
        name={data.name}
        pending={disconnect.isPending}
        error={disconnect.error}
        onClose={() => {
          disconnect.reset();
          setDisconnecting(false);
        }}
        onConfirm={(purge) =>
          disconnect.mutate(purge, {
            onSuccess: () => {
              notifySuccess(t('disconnect.done', { name: data.name }));
              navigate('/connections');
            },
          })
        }
      />
    </Stack>
  );
}
