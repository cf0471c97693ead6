/**
 * "Sync now": a delta (what changed lately) or a backfill over a date range, followed live
 * until it ends. A sync already queued or running (started elsewhere, or scheduled) is
 * followed instead of starting a second one.
 */
import { Button, Group, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import { useCallback, useEffect, useState, type FormEvent } from 'react';

import { ProblemAlert } from '../../../components/ProblemAlert';
import { useI18n } from '../../../i18n';
import { notifyFailure, notifySuccess } from '../../../lib/notify';
import { collidingSyncId, syncFinished, useFollowSync, useStartSync, type Connection, type Sync, type SyncMode } from '../api';
import { isIsoDate, isoDay } from '../browser';
import { useConnT } from '../i18n';
import { SyncProgress } from './SyncProgress';

export function ManualSync({ connection, running }: { connection: Connection; running: Sync | null }) {
  const t = useConnT();
  const { locale } = useI18n();
  const [mode, setMode] = useState<SyncMode>('delta');
  const [from, setFrom] = useState(connection.backfill_start ?? isoDay(-30));
  const [to, setTo] = useState(isoDay(-1));
  const [invalid, setInvalid] = useState(false);
  const [syncId, setSyncId] = useState<string | null>(null);
  const start = useStartSync(connection.id);
  // A sync in progress when the page opened is followed too.
  useEffect(() => {
    if (syncId === null && running && !syncFinished(running)) setSyncId(running.id);
  }, [running, syncId]);
  const finished = useCallback(
    (sync: Sync) => {
      if (sync.status === 'succeeded') notifySuccess(t('manual.finished', { written: new Intl.NumberFormat(locale).format(sync.rows_written) }));
      else notifyFailure(t('manual.failed'), sync.error ?? t('manual.failed'));
    },
    [t, locale],
  );
  const followed = useFollowSync(connection.id, syncId, finished);
  const active = syncId !== null && !syncFinished(followed.data);
  const connected = connection.status !== 'pending' && connection.status !== 'revoked';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (mode === 'backfill' && (!isIsoDate(from) || !isIsoDate(to) || from > to)) {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    start.mutate(mode === 'backfill' ? { mode, start_date: from, end_date: to } : { mode }, {
      onSuccess: (sync) => {
        setSyncId(sync.id);
        notifySuccess(t('manual.started'));
      },
      onError: (error) => {
        const other = collidingSyncId(error);
        if (other) {
          setSyncId(other);
          notifySuccess(t('manual.alreadyRunning'));
        }
      },
    });
  };

  return (
    <Stack gap="md">
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <div>
            <Text size="sm" fw={500} id="sync-mode-label" mb={4}>
              {t('manual.mode')}
            </Text>
            <SegmentedControl
              aria-labelledby="sync-mode-label"
              value={mode}
              onChange={(value) => setMode(value === 'backfill' ? 'backfill' : 'delta')}
              data={[
                { value: 'delta', label: t('sync.mode.delta') },
                { value: 'backfill', label: t('sync.mode.backfill') },
              ]}
            />
            <Text size="xs" c="dimmed" mt={4}>
              {mode === 'delta' ? t('manual.deltaHint') : t('manual.backfillHint')}
            </Text>
          </div>
          {mode === 'backfill' && (
            <Group align="flex-start" wrap="wrap">
              <TextInput type="date" label={t('manual.from')} value={from} max={to} onChange={(e) => setFrom(e.currentTarget.value)} error={invalid ? t('manual.rangeInvalid') : undefined} w={200} />
              <TextInput type="date" label={t('manual.to')} value={to} min={from} max={isoDay(0)} onChange={(e) => setTo(e.currentTarget.value)} w={200} />
            </Group>
          )}
          <ProblemAlert error={collidingSyncId(start.error) ? null : start.error} />
          {!connected && (
            <Text size="sm" c="dimmed">
              {t('manual.notConnected')}
            </Text>
          )}
          <Group>
            <Button type="submit" loading={start.isPending} disabled={active || !connected}>
              {t('manual.start')}
            </Button>
          </Group>
        </Stack>
      </form>
      {syncId !== null && followed.data && <SyncProgress sync={followed.data} streams={(connection.streams ?? []).filter((s) => s.enabled).map((s) => s.name)} />}
    </Stack>
  );
}
