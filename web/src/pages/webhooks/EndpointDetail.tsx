/**
 * One webhook endpoint (`/settings/webhooks/:id`): its URL, events and enabled switch; secret
 * rotation (the new secret shown once, the old one signing too until the overlap ends); a
 * test event; the delivery log with its chart; its dead letters with replay; delete.
 */
import { Alert, Button, Group, Modal, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';

import { PageHeader, PageSkeleton, useFormatDate } from '../../components/common';
import { DetailUnavailable } from '../../components/DetailUnavailable';
import { fieldError, ProblemAlert } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { notifyError, notifySuccess } from '../../lib/notify';
import { Panel } from '../brain/components/Panel';
import {
  useDeleteEndpoint,
  useDeliveries,
  useEndpoint,
  useRotateSecret,
  useSendTest,
  useUpdateEndpoint,
  type Endpoint,
  type EventType,
} from './api';
import { DeadLetters } from './components/DeadLetters';
import { DeliveryLog } from './components/DeliveryLog';
import { EndpointStatus } from './components/EndpointStatus';
import { EventPicker } from './components/EventPicker';
import { SecretDialog } from './components/SecretDialog';
import { validUrl } from './Endpoints';
import { isEventType } from './events';
import { useHookT } from './i18n';

function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/** How long the log is polled after a test event, waiting for its first attempt. */
export const TEST_WAIT_MS = 30_000;
const TEST_POLL_MS = 1000;

function Settings({ endpoint }: { endpoint: Endpoint }) {
  const t = useHookT();
  const formatDate = useFormatDate();
  const [url, setUrl] = useState(endpoint.url);
  const [description, setDescription] = useState(endpoint.description ?? '');
  const [events, setEvents] = useState<EventType[]>(endpoint.events.filter(isEventType));
  const [enabled, setEnabled] = useState(endpoint.enabled);
  const [invalid, setInvalid] = useState<{ url?: boolean; events?: boolean }>({});
  const update = useUpdateEndpoint(endpoint.id);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problems = { url: !validUrl(url), events: events.length === 0 };
    setInvalid(problems);
    if (problems.url || problems.events) return;
    update.mutate({ url: url.trim(), description: description.trim() || null, events, enabled }, { onSuccess: () => notifySuccess(t('detail.saved')) });
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        {endpoint.failing_since && endpoint.enabled && (
          <Alert color="orange" variant="light">
            {t('detail.failingSince', { date: formatDate(endpoint.failing_since) })}
          </Alert>
        )}
        {!endpoint.enabled && endpoint.disabled_at && (
          <Alert color="gray" variant="light">
            {t('detail.disabledAt', { date: formatDate(endpoint.disabled_at) })}
          </Alert>
        )}
        <TextInput
          label={t('create.url')}
          description={t('create.urlHint')}
          type="url"
          required
          value={url}
          onChange={(e) => setUrl(e.currentTarget.value)}
          error={invalid.url ? t('create.urlInvalid') : fieldError(update.error, 'url')}
          maw={560}
        />
        <TextInput label={t('create.description')} value={description} onChange={(e) => setDescription(e.currentTarget.value)} maxLength={500} maw={560} />
        <EventPicker value={events} onChange={setEvents} error={invalid.events ? t('create.eventsNone') : fieldError(update.error, 'events')} />
        <Switch label={t('detail.enabled')} description={t('detail.enabledHint')} checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
        <ProblemAlert error={update.error} />
        <Group>
          <Button type="submit" loading={update.isPending}>
            {t('detail.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Secret({ endpoint }: { endpoint: Endpoint }) {
  const t = useHookT();
  const appT = useT();
  const formatDate = useFormatDate();
  const [confirming, setConfirming] = useState(false);
  const [secret, setSecret] = useState<{ value: string; until: string | null } | null>(null);
  const rotate = useRotateSecret(endpoint.id);
  const overlapping = endpoint.previous_secret_expires_at && Date.parse(endpoint.previous_secret_expires_at) > Date.now();
  return (
    <Stack gap="sm" align="flex-start">
      <Text size="sm">{t('detail.rotateBody')}</Text>
      {overlapping && endpoint.previous_secret_expires_at && <Text size="sm">{t('detail.overlapUntil', { date: formatDate(endpoint.previous_secret_expires_at) })}</Text>}
      <Button variant="default" onClick={() => setConfirming(true)}>
        {t('detail.rotate')}
      </Button>
      <Modal opened={confirming} onClose={() => setConfirming(false)} title={t('detail.rotate')} closeButtonProps={{ 'aria-label': appT('app.close') }}>
        <Stack>
          <Text size="sm">{t('detail.rotateBody')}</Text>
          <ProblemAlert error={rotate.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              {appT('app.cancel')}
            </Button>
            <Button
              loading={rotate.isPending}
              onClick={() =>
                rotate.mutate(undefined, {
                  onSuccess: (rotated) => {
                    setConfirming(false);
                    setSecret({ value: rotated.secret, until: rotated.previous_secret_expires_at });
                  },
                })
              }
            >
              {t('detail.rotateConfirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
      <SecretDialog secret={secret?.value ?? null} title={t('secret.rotatedTitle')} overlapUntil={secret?.until} onClose={() => setSecret(null)} />
    </Stack>
  );
}

export default function EndpointDetail() {
  const t = useHookT();
  const appT = useT();
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const endpoint = useEndpoint(id);
  const [waitingFor, setWaitingFor] = useState<{ deliveryId: string; until: number } | null>(null);
  const log = useDeliveries(id, { pollMs: waitingFor ? TEST_POLL_MS : 0 });
  const test = useSendTest(id);
  const remove = useDeleteEndpoint(id);
  const [deleting, setDeleting] = useState(false);
  const attempts = log.data?.pages.flatMap((page) => page.data) ?? [];
  const deliveryIds = new Set(attempts.map((a) => a.delivery_id));
  const arrived = waitingFor !== null && deliveryIds.has(waitingFor.deliveryId);

  // Stop polling once the test's first attempt is in the log (or after a while).
  useEffect(() => {
    if (!waitingFor) return;
    if (arrived) {
      setWaitingFor(null);
      return;
    }
    const timer = window.setTimeout(() => setWaitingFor(null), Math.max(0, waitingFor.until - Date.now()));
    return () => window.clearTimeout(timer);
  }, [waitingFor, arrived]);

  if (endpoint.isLoading) return <PageSkeleton rows={4} />;
  const data = endpoint.data;
  if (!data) {
    return (
      <DetailUnavailable
        title={t('list.title')}
        error={endpoint.error}
        onRetry={() => void endpoint.refetch()}
        notFound={t('detail.notFound')}
        backTo="/settings/webhooks"
        backLabel={t('detail.back')}
      />
    );
  }

  const sendTest = () =>
    test.mutate(undefined, {
      onSuccess: (delivery) => {
        notifySuccess(t('detail.testSent'));
        setWaitingFor({ deliveryId: delivery.id, until: Date.now() + TEST_WAIT_MS });
        void log.refetch();
      },
      onError: (error) => notifyError(error, appT('app.errorTitle')),
    });

  return (
    <Stack>
      <PageHeader
        title={data.description || hostOf(data.url)}
        subtitle={data.url}
        actions={
          <Group gap="xs">
            <EndpointStatus endpoint={data} />
            <Button component={Link} to="/settings/webhooks" variant="subtle">
              {t('detail.back')}
            </Button>
          </Group>
        }
      />
      <Panel
        title={t('log.title')}
        actions={
          <Button onClick={sendTest} loading={test.isPending} disabled={!data.enabled} title={data.enabled ? undefined : t('detail.testDisabled')}>
            {t('detail.test')}
          </Button>
        }
      >
        <div aria-live="polite">
          {waitingFor && (
            <Text size="sm" c="dimmed">
              {t('log.waiting')}
            </Text>
          )}
        </div>
        <DeliveryLog log={log} />
      </Panel>
      <Panel title={t('detail.settings')}>
        <Settings key={data.updated_at} endpoint={data} />
      </Panel>
      <Panel title={t('detail.secret')}>
        <Secret endpoint={data} />
      </Panel>
      <Panel title={t('dead.title')}>
        <Text size="sm" c="dimmed">
          {t('dead.endpointIntro')}
        </Text>
        <DeadLetters direction="outbound" endpointId={data.id} />
      </Panel>
      <Group>
        <Button color="red" variant="light" onClick={() => setDeleting(true)}>
          {t('detail.delete')}
        </Button>
      </Group>
      <Modal opened={deleting} onClose={() => setDeleting(false)} title={t('detail.deleteTitle')} closeButtonProps={{ 'aria-label': appT('app.close') }}>
        <Stack>
          <Text size="sm">{t('detail.deleteBody')}</Text>
          <ProblemAlert error={remove.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleting(false)}>
              {appT('app.cancel')}
            </Button>
            <Button
              color="red"
              loading={remove.isPending}
              onClick={() =>
                remove.mutate(undefined, {
                  onSuccess: () => {
                    notifySuccess(t('detail.deleted'));
                    navigate('/settings/webhooks');
                  },
                })
              }
            >
              {t('detail.deleteConfirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
