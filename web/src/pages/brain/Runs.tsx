/**
 * The brain's run history: when each run started, what triggered it, its status, how long
 * it took overall and per module (features, MEMORY, ORACLE, CURIOSITY, FACE), its errors.
 */
import { Group, Stack, Table, Text } from '@mantine/core';

import { EmptyState, LoadMore, PageHeader, TableSkeleton, useFormatDate } from '../../components/common';
import { DataGuard } from '../../onboarding';
import { orderedModules, useRunHistory, type BrainRun } from './api';
import { QueryError, TableScroll } from './components/Panel';
import { RunBrainButton, StatusBadge, statusLabel } from './components/RunBrain';
import { tone, useBrainT, type BrainKey } from './i18n';

export function runSeconds(run: Pick<BrainRun, 'started_at' | 'finished_at'>): number | null {
  if (!run.started_at || !run.finished_at) return null;
  const seconds = (Date.parse(run.finished_at) - Date.parse(run.started_at)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

export default function Runs() {
  const t = useBrainT();
  const formatDate = useFormatDate();
  const history = useRunHistory();
  const runs = history.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <Stack>
      <PageHeader title={t('runs.title')} subtitle={t('runs.subtitle')} actions={<RunBrainButton />} />
      {history.isLoading && <TableSkeleton rows={5} />}
      {history.error && <QueryError error={history.error} onRetry={() => void history.refetch()} />}
      {history.isSuccess && runs.length === 0 && (
        <DataGuard>
          <EmptyState>{t('runs.empty')}</EmptyState>
        </DataGuard>
      )}
      {runs.length > 0 && (
        <TableScroll label={t('runs.caption')}>
          <Table withTableBorder miw={820}>
            <caption style={{ captionSide: 'top', textAlign: 'left' }}>
              <Text size="sm" c="dimmed" component="span">
                {t('runs.caption')}
              </Text>
            </caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('runs.created')}</Table.Th>
                <Table.Th scope="col">{t('runs.trigger')}</Table.Th>
                <Table.Th scope="col">{t('runs.status')}</Table.Th>
                <Table.Th scope="col" ta="right">{t('runs.duration')}</Table.Th>
                <Table.Th scope="col">{t('runs.modules')}</Table.Th>
                <Table.Th scope="col">{t('runs.dataAsOf')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {runs.map((run) => {
                const seconds = runSeconds(run);
                return (
                  <Table.Tr key={run.id}>
                    <Table.Th scope="row" fw={500}>
                      {formatDate(run.created_at)}
                    </Table.Th>
                    <Table.Td>{t(`runs.trigger.${run.trigger}` as BrainKey)}</Table.Td>
                    <Table.Td>
                      <StatusBadge status={run.status} />
                      {run.error && (
                        <Text size="xs" c={tone('red')} mt={4}>
                          {run.error}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td ta="right">{seconds === null ? '—' : `${seconds.toFixed(1)} s`}</Table.Td>
                    <Table.Td>
                      <Group gap={6} wrap="wrap">
                        {orderedModules(run).map(([name, module]) => (
                          <Text key={name} size="xs" span title={module.error ?? undefined}>
                            <Text span fw={600} tt="uppercase" size="xs">
                              {name}
                            </Text>{' '}
                            {module.seconds !== null && module.seconds !== undefined ? module.seconds.toFixed(1) : statusLabel(t, module.status)}
                          </Text>
                        ))}
                      </Group>
                    </Table.Td>
                    <Table.Td>{run.data_as_of ?? '—'}</Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
      <LoadMore query={history} />
    </Stack>
  );
}
