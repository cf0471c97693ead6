/**
 * A connection's sync history: a chart of rows written per sync (to spot a sync that brought
 * in nothing), and the table — when, kind, trigger, status, dates, rows, duration and the
 * rows and duration of each stream.
 */
import { BarChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { List, Stack, Table, Text } from '@mantine/core';

import { EmptyState, LoadMore, TableSkeleton, useFormatDate } from '../../../components/common';
import { useI18n } from '../../../i18n';
import { ChartFigure, QueryError, TableScroll } from '../../brain/components/Panel';
import { tone, useFormats } from '../../brain/i18n';
import { useSyncHistory, type Sync } from '../api';
import { labelOf, useConnT } from '../i18n';
import { formatDuration, streamProgress, syncChartRows } from '../sync';
import { SyncStatusBadge } from './StatusBadge';

export function SyncHistory({ connectionId }: { connectionId: string }) {
  const t = useConnT();
  const f = useFormats();
  const { locale } = useI18n();
  const formatDate = useFormatDate();
  const history = useSyncHistory(connectionId);
  const syncs: Sync[] = history.data?.pages.flatMap((page) => page.data) ?? [];
  const count = new Intl.NumberFormat(locale);
  const short = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  const chartRows = syncChartRows(syncs.slice(0, 30), (iso) => short.format(new Date(iso)));
  if (history.isLoading) return <TableSkeleton rows={4} />;
  if (history.error) return <QueryError error={history.error} onRetry={() => void history.refetch()} />;
  if (syncs.length === 0) return <EmptyState>{t('history.empty')}</EmptyState>;
  return (
    <Stack gap="md">
      {chartRows.length > 1 && (
        <ChartFigure
          caption={t('history.chart')}
          rows={chartRows}
          columns={[
            { key: 'when', label: t('history.started') },
            { key: 'written', label: t('history.written'), format: (v) => count.format(Number(v)) },
            { key: 'read', label: t('history.read'), format: (v) => count.format(Number(v)) },
          ]}
        >
          <BarChart
            h={200}
            data={chartRows}
            dataKey="when"
            series={[{ name: 'written', label: t('history.written'), color: 'blue.6' }]}
            valueFormatter={(v) => count.format(v)}
            tickLine="none"
          />
        </ChartFigure>
      )}
      <TableScroll label={t('history.caption')}>
        <Table withTableBorder miw={900} verticalSpacing="sm" data-testid="sync-history">
          <caption className="visually-hidden">{t('history.caption')}</caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('history.started')}</Table.Th>
              <Table.Th scope="col">{t('history.mode')}</Table.Th>
              <Table.Th scope="col">{t('history.trigger')}</Table.Th>
              <Table.Th scope="col">{t('history.status')}</Table.Th>
              <Table.Th scope="col">{t('history.range')}</Table.Th>
              <Table.Th scope="col" ta="right">
                {t('history.rows')}
              </Table.Th>
              <Table.Th scope="col" ta="right">
                {t('history.duration')}
              </Table.Th>
              <Table.Th scope="col">{t('history.streams')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {syncs.map((sync) => (
              <Table.Tr key={sync.id}>
                <Table.Th scope="row" fw={500}>
                  {formatDate(sync.started_at ?? sync.created_at)}
                </Table.Th>
                <Table.Td>{labelOf(t, 'sync.mode', sync.mode)}</Table.Td>
                <Table.Td>{labelOf(t, 'sync.trigger', sync.trigger)}</Table.Td>
                <Table.Td>
                  <SyncStatusBadge status={sync.status} />
                  {sync.error && (
                    <Text size="xs" c={tone('red')} mt={4} style={{ overflowWrap: 'anywhere' }}>
                      {sync.error}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {f.day(sync.start_date)} – {f.day(sync.end_date)}
                </Table.Td>
                <Table.Td ta="right">
                  {count.format(sync.rows_read)} / {count.format(sync.rows_written)}
                </Table.Td>
                <Table.Td ta="right">{formatDuration(sync.duration_seconds)}</Table.Td>
                <Table.Td>
                  <List size="xs" spacing={2} listStyleType="none" p={0}>
                    {streamProgress(sync).map((stream) => (
                      <List.Item key={stream.name}>
                        <Text span size="xs" fw={600}>
                          {stream.name}
                        </Text>{' '}
                        {count.format(stream.rowsRead)} / {count.format(stream.rowsWritten)}
                        {stream.seconds !== null && (
                          <Text span size="xs" c="dimmed">
                            {' · '}
                            {formatDuration(stream.seconds)}
                          </Text>
                        )}
                      </List.Item>
                    ))}
                  </List>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>
      <LoadMore query={history} />
    </Stack>
  );
}
