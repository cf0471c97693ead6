/**
 * Step 5: the first sync with live progress (polled until it ends); then what to do next —
 * run the brain on the new data, go to the dashboard, or open the connection.
 */
import { Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router-dom';

import { TableSkeleton } from '../../../components/common';
import { ProblemAlert } from '../../../components/ProblemAlert';
import { useI18n } from '../../../i18n';
import { RunBrainButton } from '../../brain/components/RunBrain';
import { collidingSyncId, useFollowSync, useStartSync, type Connection } from '../api';
import { SyncProgress } from '../components/SyncProgress';
import { useConnT } from '../i18n';

export function SyncStep({ connection, syncId, onRestarted }: { connection: Connection; syncId: string; onRestarted: (syncId: string) => void }) {
  const t = useConnT();
  const { locale } = useI18n();
  const sync = useFollowSync(connection.id, syncId);
  const again = useStartSync(connection.id);
  const data = sync.data;
  const streams = (connection.streams ?? []).filter((s) => s.enabled).map((s) => s.name);
  const retry = () =>
    again.mutate(
      { mode: 'backfill', start_date: data?.start_date ?? connection.backfill_start ?? undefined },
      {
        onSuccess: (next) => onRestarted(next.id),
        onError: (error) => {
          const other = collidingSyncId(error);
          if (other) onRestarted(other);
        },
      },
    );
  return (
    <Stack gap="md">
      {sync.isLoading && <TableSkeleton rows={3} />}
      <ProblemAlert error={sync.error} />
      {data && <SyncProgress sync={data} streams={streams} />}
      {data?.status === 'succeeded' && (
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="sync-next">
          <Stack gap="sm">
            <Title order={3} size="h5" id="sync-next">
              {t('progress.next')}
            </Title>
            <Text size="sm">{t('progress.done', { written: new Intl.NumberFormat(locale).format(data.rows_written) })}</Text>
            <Text size="sm">{t('progress.runBrain')}</Text>
            <Group align="flex-start">
              <RunBrainButton />
              <Button component={Link} to="/" variant="light">
                {t('progress.goFace')}
              </Button>
              <Button component={Link} to={`/connections/${connection.id}`} variant="default">
                {t('progress.openConnection')}
              </Button>
            </Group>
          </Stack>
        </Paper>
      )}
      {data?.status === 'failed' && (
        <Group>
          <Button onClick={retry} loading={again.isPending}>
            {t('progress.retry')}
          </Button>
          <Button component={Link} to={`/connections/${connection.id}`} variant="default">
            {t('progress.openConnection')}
          </Button>
        </Group>
      )}
      <ProblemAlert error={collidingSyncId(again.error) ? null : again.error} />
    </Stack>
  );
}
