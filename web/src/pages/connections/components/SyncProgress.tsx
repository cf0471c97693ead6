/**
 * A sync's live progress: its status, an overall bar and one bar per stream (how far through
 * the dates it got, rows read and written). Screen readers hear the status changes (a polite
 * live region), not every tick of the counters.
 */
import { Group, Progress, Stack, Text } from '@mantine/core';

import { tone, useFormats } from '../../brain/i18n';
import { useI18n } from '../../../i18n';
import type { Sync } from '../api';
import { useConnT } from '../i18n';
import { formatDuration, overallFraction, streamProgress } from '../sync';
import { SyncStatusBadge } from './StatusBadge';

const BAR_COLOR: Record<string, string> = { succeeded: 'green', failed: 'red', running: 'blue', queued: 'gray', pending: 'gray' };

export function SyncProgress({ sync, streams = [] }: { sync: Sync; streams?: string[] }) {
  const t = useConnT();
  const f = useFormats();
  const { locale } = useI18n();
  const count = new Intl.NumberFormat(locale);
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
  const rows = streamProgress(sync, streams);
  const overall = overallFraction(rows, sync.status);
  const running = sync.status === 'running' || sync.status === 'queued';
  return (
    <Stack gap="sm" data-testid="sync-progress" data-status={sync.status}>
      <Group gap="sm" role="status" aria-live="polite">
        <SyncStatusBadge status={sync.status} />
        <Text size="sm">
          {sync.status === 'queued' && t('progress.queued')}
          {sync.status === 'succeeded' && `${t('progress.rows', { read: count.format(sync.rows_read), written: count.format(sync.rows_written) })} · ${formatDuration(sync.duration_seconds)}`}
          {sync.status === 'failed' && <span style={{ color: tone('red') }}>{t('progress.failed', { error: sync.error ?? '' })}</span>}
        </Text>
      </Group>
      <Stack gap="xs" role="group" aria-label={t('progress.label')}>
        <ProgressRow
          name={t('progress.overall')}
          strong
          value={overall}
          color={BAR_COLOR[sync.status] ?? 'blue'}
          animated={running}
          label={t('progress.stream', { stream: t('progress.overall'), percent: percent.format(overall) })}
          note={t('progress.rows', { read: count.format(sync.rows_read), written: count.format(sync.rows_written) })}
        />
        {rows.map((stream) => (
          <ProgressRow
            key={stream.name}
            testId={`stream-${stream.name}`}
            name={stream.name}
            value={stream.fraction}
            color={BAR_COLOR[stream.status] ?? 'blue'}
            animated={stream.status === 'running'}
            label={t('progress.stream', { stream: stream.name, percent: percent.format(stream.fraction) })}
            note={
              t('progress.rows', { read: count.format(stream.rowsRead), written: count.format(stream.rowsWritten) }) +
              (stream.through && stream.status !== 'succeeded' ? ` · ${t('progress.through', { date: f.day(stream.through) })}` : '') +
              (stream.seconds !== null ? ` · ${formatDuration(stream.seconds)}` : '')
            }
          />
        ))}
      </Stack>
    </Stack>
  );
}

function ProgressRow({
  name,
  value,
  color,
  animated,
  label,
  note,
  strong = false,
  testId,
}: {
  name: string;
  value: number;
  color: string;
  animated: boolean;
  label: string;
  note: string;
  strong?: boolean;
  testId?: string;
}) {
  return (
    <Stack gap={4} data-testid={testId}>
      <Group justify="space-between" gap="xs">
        <Text size="sm" fw={strong ? 600 : 500} style={{ overflowWrap: 'anywhere' }}>
          {name}
        </Text>
        <Text size="xs" c="dimmed">
          {note}
        </Text>
      </Group>
      <Progress value={Math.round(value * 100)} color={color} animated={animated} aria-label={label} />
    </Stack>
  );
}
