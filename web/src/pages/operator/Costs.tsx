/**
 * Operator console, costs: the platform's cost, plan revenue and margin for the period; the
 * cost week by week (stacked by plan); the tenants whose cost moved most against the
 * previous period; the alerts (tenants costing more than their plan's alert share of its
 * price, as the daily alert job reports them); cost and margin by plan; cost by meter.
 */
import { BarChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Alert, Anchor, Paper, SegmentedControl, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router-dom';

import { EmptyState, PageHeader, TableSkeleton } from '../../components/common';
import { NoPermission } from '../../layout/Status';
import { ChartFigure, Panel, QueryError, TableScroll } from '../brain/components/Panel';
import { seriesOf } from '../brain/face/charts';
import { planTitle } from '../billing/catalog';
import { billingLabel, useBillingT } from '../billing/i18n';
import { costAlerts, shiftDay, useCosts, useWeeklyCosts, type CostsReport } from './api';
import { forbidden, OperatorOnly } from './components';
import { useOperatorFormats, useOperatorT, type OperatorKey } from './i18n';

const RANGES = [4, 12, 26] as const;
type Weeks = (typeof RANGES)[number];

/** Rows of the weekly chart: one per week, one column per plan. */
export function weeklyRows(windows: { start: string }[], reports: (CostsReport | undefined)[]): { rows: Record<string, string | number>[]; plans: string[] } {
  const plans = new Set<string>();
  for (const report of reports) for (const p of report?.plans ?? []) plans.add(p.plan);
  const names = Array.from(plans).sort();
  const rows = windows.map((w, i) => {
    const row: Record<string, string | number> = { week: w.start };
    for (const name of names) row[name] = reports[i]?.plans.find((p) => p.plan === name)?.cost_usd ?? 0;
    return row;
  });
  return { rows, plans: names };
}

/** Total cost per meter over all tenants. */
export function costByMeter(report: CostsReport): { meter: string; cost: number }[] {
  const totals = new Map<string, number>();
  for (const tenant of report.tenants) for (const [meter, cost] of Object.entries(tenant.by_meter)) totals.set(meter, (totals.get(meter) ?? 0) + cost);
  return Array.from(totals, ([meter, cost]) => ({ meter, cost })).sort((a, b) => b.cost - a.cost);
}

function Kpi({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Text size="xs" fw={700} tt="uppercase" c="dimmed">
        {label}
      </Text>
      <Text fw={800} size="xl" data-testid={testId}>
        {value}
      </Text>
    </Paper>
  );
}

function CostsPage() {
  const t = useOperatorT();
  const bt = useBillingT();
  const f = useOperatorFormats();
  const [weeks, setWeeks] = useState<Weeks>(4);
  const end = new Date().toISOString().slice(0, 10);
  const start = shiftDay(end, -(7 * weeks - 1));
  const costs = useCosts(start, end);
  const weekly = useWeeklyCosts(end, weeks, costs.isSuccess);
  const report = costs.data;
  if (forbidden(costs.error)) return <NoPermission />;
  const weeklyLoading = weekly.results.some((r) => r.isLoading);
  const weeklyError = weekly.results.find((r) => r.error)?.error;
  const chart = weeklyRows(
    weekly.windows,
    weekly.results.map((r) => r.data),
  );
  const revenue = report?.plans.reduce((sum, p) => sum + p.revenue_usd, 0) ?? 0;
  const margin = report?.plans.reduce((sum, p) => sum + p.margin_usd, 0) ?? 0;
  const alerts = report ? costAlerts(report.tenants) : [];
  const meters = report ? costByMeter(report) : [];
  const movers = (report?.top_movers ?? []).filter((m) => m.change_usd !== 0);
  const tenantLink = (id: string, name: string | null) => (
    <Anchor component={Link} to={`/operator/tenants/${id}`} size="sm">
      {name ?? id}
    </Anchor>
  );
  return (
    <Stack>
      <PageHeader
        title={t('costs.title')}
        subtitle={t('costs.subtitle')}
        actions={
          <SegmentedControl
            aria-label={t('op.range')}
            value={String(weeks)}
            onChange={(value) => setWeeks(Number(value) as Weeks)}
            data={RANGES.map((w) => ({ value: String(w), label: t(`op.range.${w * 7}d` as OperatorKey) }))}
          />
        }
      />
      {costs.isLoading && <TableSkeleton rows={4} />}
      {costs.error && <QueryError error={costs.error} onRetry={() => void costs.refetch()} />}
      {report && (
        <>
          <Text size="sm" c="dimmed">
            {t('op.periodLabel', { from: f.day(report.start), to: f.day(report.end) })}
          </Text>
          <SimpleGrid cols={{ base: 2, md: 4 }}>
            <Kpi label={t('costs.total')} value={f.usd(report.total_cost_usd)} testId="costs-total" />
            <Kpi label={t('costs.revenue')} value={f.usd(revenue)} />
            <Kpi label={t('costs.margin')} value={f.usd(margin)} />
            <Kpi label={t('costs.tenants')} value={f.count(report.tenants.length)} />
          </SimpleGrid>
          <Panel title={t('costs.alerts')}>
            {alerts.length === 0 ? (
              <Text size="sm">{t('costs.alertsEmpty')}</Text>
            ) : (
              <Stack gap="xs" data-testid="cost-alerts">
                {alerts.map(({ tenant, threshold }) => (
                  <Alert key={tenant.organization_id} color="orange" variant="light">
                    <Text size="sm">
                      {t('costs.alert', {
                        name: tenant.name ?? tenant.organization_id,
                        cost: f.usd(tenant.cost_usd),
                        share: f.percent(tenant.cost_share_of_price),
                        plan: planTitle(tenant.plan),
                        threshold: f.percent(threshold),
                      })}{' '}
                      {tenantLink(tenant.organization_id, tenant.name)}
                    </Text>
                  </Alert>
                ))}
              </Stack>
            )}
          </Panel>
          <Panel title={t('costs.overTime')}>
            {weeklyLoading && <TableSkeleton rows={3} />}
            {weeklyError ? <QueryError error={weeklyError} onRetry={() => weekly.results.forEach((r) => void r.refetch())} /> : null}
            {!weeklyLoading && !weeklyError && chart.plans.length === 0 && <EmptyState>{t('costs.empty')}</EmptyState>}
            {!weeklyLoading && !weeklyError && chart.plans.length > 0 && (
              <ChartFigure
                caption={t('costs.overTimeCaption')}
                rows={chart.rows}
                columns={[
                  { key: 'week', label: t('costs.week'), format: (v) => f.day(String(v)) },
                  ...chart.plans.map((p) => ({ key: p, label: planTitle(p), format: (v: unknown) => f.usd(Number(v)) })),
                ]}
              >
                <BarChart
                  h={280}
                  data={chart.rows}
                  dataKey="week"
                  type="stacked"
                  series={seriesOf(chart.plans).map((s) => ({ ...s, label: planTitle(s.name) }))}
                  withLegend
                  valueFormatter={(v) => f.usd(v)}
                  xAxisProps={{ tickFormatter: (v: string) => v.slice(5) }}
                />
              </ChartFigure>
            )}
          </Panel>
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <Panel title={t('costs.movers')}>
              {movers.length === 0 ? (
                <Text size="sm">{t('costs.moversEmpty')}</Text>
              ) : (
                <Stack gap="sm">
                  <ChartFigure
                    caption={t('costs.moversCaption')}
                    rows={movers.map((m) => ({ name: m.name ?? m.organization_id, change: m.change_usd }))}
                    columns={[
                      { key: 'name', label: t('tenants.name') },
                      { key: 'change', label: t('costs.change'), format: (v) => f.signedUsd(Number(v)) },
                    ]}
                  >
                    <BarChart
                      h={Math.max(160, movers.length * 36)}
                      data={movers.map((m) => ({ name: m.name ?? m.organization_id.slice(0, 8), change: m.change_usd }))}
                      dataKey="name"
                      orientation="vertical"
                      yAxisProps={{ width: 120 }}
                      series={[{ name: 'change', label: t('costs.change'), color: 'orange.6' }]}
                      valueFormatter={(v) => f.signedUsd(v)}
                    />
                  </ChartFigure>
                  <TableScroll label={t('costs.moversCaption')}>
                    <Table withTableBorder miw={480}>
                      <Table.Thead>
                        <Table.Tr>
                          <Table.Th scope="col">{t('tenants.name')}</Table.Th>
                          <Table.Th scope="col" ta="right">
                            {t('costs.previous')}
                          </Table.Th>
                          <Table.Th scope="col" ta="right">
                            {t('costs.current')}
                          </Table.Th>
                          <Table.Th scope="col" ta="right">
                            {t('costs.change')}
                          </Table.Th>
                        </Table.Tr>
                      </Table.Thead>
                      <Table.Tbody>
                        {movers.map((m) => (
                          <Table.Tr key={m.organization_id}>
                            <Table.Th scope="row">{tenantLink(m.organization_id, m.name)}</Table.Th>
                            <Table.Td ta="right">{f.usd(m.previous_cost_usd)}</Table.Td>
                            <Table.Td ta="right">{f.usd(m.cost_usd)}</Table.Td>
                            <Table.Td ta="right" fw={600} c={m.change_usd > 0 ? 'var(--mantine-color-red-light-color)' : 'var(--mantine-color-green-light-color)'}>
                              {f.signedUsd(m.change_usd)}
                            </Table.Td>
                          </Table.Tr>
                        ))}
                      </Table.Tbody>
                    </Table>
                  </TableScroll>
                </Stack>
              )}
            </Panel>
            <Panel title={t('costs.byMeter')}>
              {meters.length === 0 ? (
                <EmptyState>{t('costs.empty')}</EmptyState>
              ) : (
                <ChartFigure
                  caption={t('costs.byMeterCaption')}
                  rows={meters.map((m) => ({ meter: billingLabel(bt, 'meter', m.meter), cost: m.cost }))}
                  columns={[
                    { key: 'meter', label: t('costs.meter') },
                    { key: 'cost', label: t('tenants.cost'), format: (v) => f.usd(Number(v)) },
                  ]}
                >
                  <BarChart
                    h={Math.max(160, meters.length * 32)}
                    data={meters.map((m) => ({ meter: billingLabel(bt, 'meter', m.meter), cost: m.cost }))}
                    dataKey="meter"
                    orientation="vertical"
                    yAxisProps={{ width: 150 }}
                    series={[{ name: 'cost', label: t('tenants.cost'), color: 'blue.6' }]}
                    valueFormatter={(v) => f.usd(v)}
                  />
                </ChartFigure>
              )}
            </Panel>
          </SimpleGrid>
          <Panel title={t('costs.byPlan')}>
            {report.plans.length === 0 ? (
              <EmptyState>{t('costs.empty')}</EmptyState>
            ) : (
              <TableScroll label={t('costs.byPlanCaption')}>
                <Table withTableBorder miw={560}>
                  <caption style={{ captionSide: 'top', textAlign: 'left' }}>
                    <Text size="sm" c="dimmed" component="span">
                      {t('costs.byPlanCaption')}
                    </Text>
                  </caption>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">{t('costs.plan')}</Table.Th>
                      <Table.Th scope="col" ta="right">
                        {t('costs.tenants')}
                      </Table.Th>
                      <Table.Th scope="col" ta="right">
                        {t('tenants.cost')}
                      </Table.Th>
                      <Table.Th scope="col" ta="right">
                        {t('tenants.revenue')}
                      </Table.Th>
                      <Table.Th scope="col" ta="right">
                        {t('tenants.margin')}
                      </Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {report.plans.map((p) => (
                      <Table.Tr key={p.plan}>
                        <Table.Th scope="row">{planTitle(p.plan)}</Table.Th>
                        <Table.Td ta="right">{f.count(p.tenants)}</Table.Td>
                        <Table.Td ta="right">{f.usd(p.cost_usd)}</Table.Td>
                        <Table.Td ta="right">{p.plan === 'enterprise' ? t('costs.noPrice') : f.usd(p.revenue_usd)}</Table.Td>
                        <Table.Td ta="right">{f.usd(p.margin_usd)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </TableScroll>
            )}
          </Panel>
        </>
      )}
    </Stack>
  );
}

export default function Costs() {
  return (
    <OperatorOnly>
      <CostsPage />
    </OperatorOnly>
  );
}
