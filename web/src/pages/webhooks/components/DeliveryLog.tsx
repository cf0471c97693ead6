/**
 * An endpoint's delivery log: a chart of delivered and failed attempts over time, a summary
 * (success rate, median response time), and every attempt — when, event, attempt number,
 * status code, time taken, result, next retry and the start of the response.
 */
import { BarChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Stack, Table, Text } from '@mantine/core';

import { EmptyState, LoadMore, TableSkeleton, useFormatDate } from '../../../components/common';
import { useI18n } from '../../../i18n';
import { Tag } from '../../brain/components/Tag';
import { ChartFigure, QueryError, TableScroll } from '../../brain/components/Panel';
import type { Attempt, useDeliveries } from '../api';
import { deliveryBuckets, deliverySummary } from '../deliveries';
import { useHookT, type HookKey } from '../i18n';

export function DeliveryLog({ log }: { log: ReturnType<typeof useDeliveries> }) {
  const t = useHookT();
  const { locale } = useI18n();
  const formatDate = useFormatDate();
  const attempts: Attempt[] = log.data?.pages.flatMap((page) => page.data) ?? [];
  if (log.isLoading) return <TableSkeleton rows={4} />;
  if (log.error) return <QueryError error={log.error} onRetry={() => void log.refetch()} />;
  if (attempts.length === 0) return <EmptyState>{t('log.empty')}</EmptyState>;

  const { grain, buckets } = deliveryBuckets(attempts);
  const label = new Intl.DateTimeFormat(locale, grain === 'hour' ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric' });
  const chartRows = buckets.map((b) => ({ when: label.format(new Date(b.start)), delivered: b.succeeded, failed: b.failed }));
  const summary = deliverySummary(attempts);
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  const caption = t('log.chart', { grain: t(`log.grain.${grain}` as HookKey) });
  return (
    <Stack gap="md">
      <Text size="sm" data-testid="delivery-summary">
        {t('log.summary', { rate: percent.format(summary.successRate ?? 0), ms: summary.medianMs ?? 0, total: summary.total })}
      </Text>
      <ChartFigure
        caption={caption}
        rows={chartRows}
        columns={[
          { key: 'when', label: t('log.time') },
          { key: 'delivered', label: t('log.delivered') },
          { key: 'failed', label: t('log.failed') },
        ]}
      >
        <BarChart
          h={200}
          data={chartRows}
          dataKey="when"
          type="stacked"
          withLegend
          series={[
            { name: 'delivered', label: t('log.delivered'), color: 'teal.6' },
            { name: 'failed', label: t('log.failed'), color: 'red.6' },
          ]}
          tickLine="none"
        />
      </ChartFigure>
      <TableScroll label={t('log.caption')}>
        <Table withTableBorder miw={880} verticalSpacing="xs" data-testid="delivery-log">
          <caption className="visually-hidden">{t('log.caption')}</caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('log.time')}</Table.Th>
              <Table.Th scope="col">{t('log.event')}</Table.Th>
              <Table.Th scope="col" ta="right">
                {t('log.attempt')}
              </Table.Th>
              <Table.Th scope="col" ta="right">
                {t('log.status')}
              </Table.Th>
              <Table.Th scope="col" ta="right">
                {t('log.duration')}
              </Table.Th>
              <Table.Th scope="col">{t('log.result')}</Table.Th>
              <Table.Th scope="col">{t('log.nextRetry')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {attempts.map((attempt) => (
              <Table.Tr key={attempt.id} data-testid="delivery-row">
                <Table.Th scope="row" fw={500}>
                  {formatDate(attempt.requested_at)}
                </Table.Th>
                <Table.Td>
                  <code>{attempt.event_type}</code>
                </Table.Td>
                <Table.Td ta="right">{attempt.attempt_number}</Table.Td>
                <Table.Td ta="right">{attempt.status_code ?? t('log.noResponse')}</Table.Td>
                <Table.Td ta="right">{attempt.duration_ms} ms</Table.Td>
                <Table.Td>
                  <Tag color={attempt.succeeded ? 'green' : 'red'} variant="light">
                    {attempt.succeeded ? t('log.delivered') : t('log.failed')}
                  </Tag>
                  {(attempt.error || attempt.response_body) && (
                    <details style={{ marginTop: 4 }}>
                      <summary style={{ cursor: 'pointer', fontSize: 'var(--mantine-font-size-xs)' }}>{t('log.details')}</summary>
                      {attempt.error && (
                        <Text size="xs" style={{ overflowWrap: 'anywhere' }}>
                          {attempt.error}
                        </Text>
                      )}
                      {attempt.response_body && (
                        <Text size="xs" c="dimmed" component="pre" className="mono" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', maxWidth: 360, margin: 0 }}>
                          {attempt.response_body}
                        </Text>
                      )}
                    </details>
                  )}
                </Table.Td>
                <Table.Td>{attempt.next_attempt_at ? formatDate(attempt.next_attempt_at) : '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>
      <LoadMore query={log} />
    </Stack>
  );
}
