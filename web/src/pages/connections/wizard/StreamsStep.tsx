/**
 * Step 4: which streams to sync and from when — saved on the connection (PATCH), then the
 * first sync (a backfill from that date) is started.
 */
import { Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';

import { ProblemAlert } from '../../../components/ProblemAlert';
import { collidingSyncId, useStartSync, useUpdateConnection, type Connection, type Provider } from '../api';
import { isIsoDate, isoDay } from '../browser';
import { ScheduleSelect, StreamSwitches, streamState } from '../components/StreamSettings';
import { useConnT } from '../i18n';

export function StreamsStep({
  connection,
  provider,
  onStarted,
}: {
  connection: Connection;
  provider: Provider | undefined;
  onStarted: (syncId: string) => void;
}) {
  const t = useConnT();
  const [changes, setChanges] = useState<Record<string, boolean>>({});
  const [backfill, setBackfill] = useState(connection.backfill_start ?? isoDay(-365));
  const [schedule, setSchedule] = useState<number | null>(connection.schedule_minutes);
  const [invalid, setInvalid] = useState<'streams' | 'date' | null>(null);
  const update = useUpdateConnection(connection.id);
  const start = useStartSync(connection.id);
  const yesterday = isoDay(-1);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const streams = streamState(connection, changes);
    if (!Object.values(streams).some(Boolean)) return setInvalid('streams');
    if (!isIsoDate(backfill) || backfill > yesterday || backfill < '2000-01-01') return setInvalid('date');
    setInvalid(null);
    update.mutate(
      { streams, backfill_start: backfill, schedule_minutes: schedule },
      {
        onSuccess: () =>
          start.mutate(
            { mode: 'backfill', start_date: backfill },
            {
              onSuccess: (sync) => onStarted(sync.id),
              onError: (error) => {
                const other = collidingSyncId(error);
                if (other) onStarted(other);
              },
            },
          ),
      },
    );
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        <Text size="sm">{t('streams.intro')}</Text>
        <StreamSwitches
          connection={connection}
          provider={provider}
          value={changes}
          onChange={setChanges}
          error={invalid === 'streams' ? t('streams.none') : undefined}
        />
        <TextInput
          type="date"
          label={t('streams.backfill')}
          description={t('streams.backfillHint')}
          value={backfill}
          max={yesterday}
          min="2000-01-01"
          onChange={(event) => setBackfill(event.currentTarget.value)}
          error={invalid === 'date' ? t('streams.backfillInvalid') : undefined}
          required
          w={{ base: '100%', sm: 260 }}
        />
        <ScheduleSelect value={schedule} onChange={setSchedule} />
        <ProblemAlert error={update.error ?? (collidingSyncId(start.error) ? null : start.error)} />
        <Group>
          <Button type="submit" loading={update.isPending || start.isPending}>
            {t('streams.start')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
