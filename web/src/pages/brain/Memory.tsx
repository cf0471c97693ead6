/**
 * MEMORY: per channel what the spend did (spend, revenue, ROAS, LTV-ROAS, status) next to the
 * marketing-mix model's incremental ROI with its interval; what the platforms claim vs the
 * model; each channel's fitted response curve; and cohort LTV. Without dates the latest
 * run's answer is shown; with dates MEMORY is computed for that period.
 */
import { BarChart, LineChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Button, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';

import { PageHeader, TableSkeleton } from '../../components/common';
import { NoDataYet, useDataGate } from '../../onboarding';
import { useMemoryChannels, useMemoryCohorts } from './api';
import { ChartFigure, Panel, QueryError, TableScroll } from './components/Panel';
import { Tag } from './components/Tag';
import { seriesOf } from './face/charts';
import { useBrainT, useFormats, type BrainKey } from './i18n';
import { curvePoints, type Curve } from './memory/curves';

const STATUS_COLOR: Record<string, string> = { winner: 'green', loser: 'red', neutral: 'gray', no_spend: 'gray' };

function RangeForm({ onApply }: { onApply: (range: { from?: string; to?: string }) => void }) {
  const t = useBrainT();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        onApply({ from: from || undefined, to: to || undefined });
      }}
    >
      <Group align="flex-end" gap="xs">
        <TextInput type="date" label={t('memory.from')} value={from} onChange={(e) => setFrom(e.currentTarget.value)} size="sm" />
        <TextInput type="date" label={t('memory.to')} value={to} onChange={(e) => setTo(e.currentTarget.value)} size="sm" />
        <Button type="submit" size="sm" variant="light">
          {t('memory.apply')}
        </Button>
        <Button
          size="sm"
          variant="subtle"
          onClick={() => {
            setFrom('');
            setTo('');
            onApply({});
          }}
        >
          {t('memory.latestRun')}
        </Button>
      </Group>
    </form>
  );
}

export default function Memory() {
  const t = useBrainT();
  const f = useFormats();
  const [range, setRange] = useState<{ from?: string; to?: string }>({});
  const channels = useMemoryChannels(range);
  const cohorts = useMemoryCohorts();
  const gate = useDataGate();
  const data = channels.data;
  const rows = data?.data ?? [];
  const comparison = rows
    .filter((c) => c.roas !== null || c.incremental_roi?.estimate != null)
    .map((c) => ({ name: c.name, reported: c.roas ?? 0, modelled: c.incremental_roi?.estimate ?? 0 }));
  const curves: Curve[] = rows.flatMap((c) => {
    const curve = c.response_curve;
    if (!curve || curve.beta === null || curve.half_saturation === null || curve.shape === null) return [];
    return [{ name: c.name, beta: curve.beta, k: curve.half_saturation, shape: curve.shape, current: c.current_daily_spend ?? null }];
  });
  const points = curvePoints(curves);
  const cohortRows = (cohorts.data?.data ?? []).map((c) => ({
    month: c.month.slice(0, 7),
    customers: c.customers,
    ltv30: c.ltv30,
    ltv90: c.ltv90,
    predicted: c.predicted_ltv90,
  }));
  const money = (v: unknown) => f.money(typeof v === 'number' ? v : null);
  if (gate === 'connect' || gate === 'sync') {
    // No data yet: the next onboarding step instead of empty tables and charts.
    return (
      <Stack>
        <PageHeader title={t('memory.title')} subtitle={t('memory.subtitle')} />
        <NoDataYet gate={gate} />
      </Stack>
    );
  }
  return (
    <Stack>
      <PageHeader title={t('memory.title')} subtitle={t('memory.subtitle')} actions={<RangeForm onApply={setRange} />} />
      <Panel title={t('memory.channels')}>
        {channels.isLoading && <TableSkeleton rows={5} />}
        {channels.error && <QueryError error={channels.error} onRetry={() => void channels.refetch()} />}
        {data && (
          <Stack gap="xs">
            <Text size="sm" c="dimmed">
              {t('memory.period', { from: f.day(data.period_start), to: f.day(data.period_end), source: data.revenue_source })}
              {data.source.model_version ? ` · ${t('common.modelVersion', { version: data.source.model_version })}` : ''}
            </Text>
            {rows.length === 0 ? (
              <Text size="sm">{t('memory.empty')}</Text>
            ) : (
              <TableScroll label={t('memory.channelsCaption')}>
                <Table highlightOnHover withTableBorder miw={860}>
                  <caption style={{ captionSide: 'top', textAlign: 'left' }}>
                    <Text size="sm" c="dimmed" component="span">
                      {t('memory.channelsCaption')}
                    </Text>
                  </caption>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">{t('memory.channel')}</Table.Th>
                      <Table.Th scope="col">{t('memory.platform')}</Table.Th>
                      <Table.Th scope="col" ta="right">{t('memory.spend')}</Table.Th>
                      <Table.Th scope="col" ta="right">{t('memory.revenue')}</Table.Th>
                      <Table.Th scope="col" ta="right">{t('memory.roas')}</Table.Th>
                      <Table.Th scope="col" ta="right">{t('memory.ltvRoas')}</Table.Th>
                      <Table.Th scope="col">{t('memory.status')}</Table.Th>
                      <Table.Th scope="col">{t('memory.incremental')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {rows.map((c) => (
                      <Table.Tr key={c.channel_id}>
                        <Table.Th scope="row" fw={600}>
                          {c.name}
                        </Table.Th>
                        <Table.Td>{c.platform}</Table.Td>
                        <Table.Td ta="right">{f.money(c.spend)}</Table.Td>
                        <Table.Td ta="right">{f.money(c.revenue)}</Table.Td>
                        <Table.Td ta="right">{f.ratio(c.roas)}</Table.Td>
                        <Table.Td ta="right">{f.ratio(c.ltv_roas)}</Table.Td>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>
                          <Tag color={STATUS_COLOR[c.status] ?? 'gray'} variant="light">
                            {t(`memory.status.${c.status}` as BrainKey)}
                          </Tag>
                        </Table.Td>
                        <Table.Td>
                          {c.incremental_roi && c.incremental_roi.estimate !== null ? (
                            <>
                              {f.ratio(c.incremental_roi.estimate)}{' '}
                              <Text span size="xs" c="dimmed">
                                ({f.ratio(c.incremental_roi.ci_low)} – {f.ratio(c.incremental_roi.ci_high)})
                              </Text>
                            </>
                          ) : (
                            <Text span size="xs" c="dimmed">
                              {c.incremental_roi_reason ?? t('common.na')}
                            </Text>
                          )}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </TableScroll>
            )}
            {data.notes.map((note) => (
              <Text size="xs" c="dimmed" key={note}>
                {note}
              </Text>
            ))}
          </Stack>
        )}
      </Panel>
      {comparison.length > 0 && (
        <Panel title={t('memory.reportedVsModelled')}>
          <ChartFigure
            caption={t('memory.reportedVsModelled')}
            rows={comparison}
            columns={[
              { key: 'name', label: t('memory.channel') },
              { key: 'reported', label: t('memory.reported'), format: (v) => f.ratio(Number(v)) },
              { key: 'modelled', label: t('memory.modelled'), format: (v) => f.ratio(Number(v)) },
            ]}
          >
            <BarChart
              h={260}
              data={comparison}
              dataKey="name"
              withLegend
              series={[
                { name: 'reported', label: t('memory.reported'), color: 'gray.5' },
                { name: 'modelled', label: t('memory.modelled'), color: 'blue.7' },
              ]}
              valueFormatter={(v) => f.ratio(v)}
            />
          </ChartFigure>
        </Panel>
      )}
      {data && (
        <Panel title={t('memory.curves')}>
          {points.length === 0 ? (
            <Text size="sm">{t('memory.curvesNone')}</Text>
          ) : (
            <ChartFigure
              caption={t('memory.curves')}
              rows={points}
              columns={[
                { key: 'spend', label: t('memory.dailySpend'), format: money },
                ...curves.map((c) => ({ key: c.name, label: c.name, format: money })),
              ]}
            >
              <LineChart
                h={300}
                data={points}
                dataKey="spend"
                series={seriesOf(curves.map((c) => c.name))}
                curveType="monotone"
                withDots={false}
                withLegend
                xAxisProps={{ tickFormatter: (v: number) => f.money(v) }}
                valueFormatter={(v) => f.money(v)}
              />
            </ChartFigure>
          )}
        </Panel>
      )}
      <Panel title={t('memory.cohorts')}>
        {cohorts.isLoading && <TableSkeleton rows={3} />}
        {cohorts.error && <QueryError error={cohorts.error} onRetry={() => void cohorts.refetch()} />}
        {cohorts.isSuccess && cohortRows.length === 0 && <Text size="sm">{t('memory.noCohorts')}</Text>}
        {cohortRows.length > 0 && (
          <ChartFigure
            caption={t('memory.cohorts')}
            rows={cohortRows}
            columns={[
              { key: 'month', label: t('memory.cohortMonth') },
              { key: 'customers', label: t('memory.customers') },
              { key: 'ltv30', label: t('memory.ltv30'), format: money },
              { key: 'ltv90', label: t('memory.ltv90'), format: money },
              { key: 'predicted', label: t('memory.predicted90'), format: money },
            ]}
          >
            <BarChart
              h={260}
              data={cohortRows}
              dataKey="month"
              withLegend
              series={[
                { name: 'ltv30', label: t('memory.ltv30'), color: 'teal.4' },
                { name: 'ltv90', label: t('memory.ltv90'), color: 'teal.8' },
                { name: 'predicted', label: t('memory.predicted90'), color: 'grape.5' },
              ]}
              valueFormatter={(v) => f.money(v)}
            />
          </ChartFigure>
        )}
      </Panel>
    </Stack>
  );
}
