/**
 * Usage: every quota of the plan with how much of it is used in its current period (a bar
 * each, warning near and at the limit, when it resets), and the metered usage per day for a
 * chosen meter over this month or the last 30/90 days (stacked by dimension, e.g. AI tokens
 * by model).
 */
import { BarChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Anchor, Group, Progress, SegmentedControl, Select, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router-dom';

import { useSession } from '../../auth/session';
import { EmptyState, PageHeader, TableSkeleton } from '../../components/common';
import { ChartFigure, Panel, QueryError } from '../brain/components/Panel';
import { Tag } from '../brain/components/Tag';
import { seriesOf } from '../brain/face/charts';
import { dailySeries, quotaShare, useUsage, type Quota } from './api';
import { QUOTAS, quotaPeriod } from './catalog';
import { billingLabel, useBillingFormats, useBillingT, type BillingKey } from './i18n';

export type UsageRange = 'month' | '30d' | '90d';
const RANGES: UsageRange[] = ['month', '30d', '90d'];

/** The query's start/end for a range (UTC days; the month is the API's default). */
export function rangeDates(range: UsageRange, today: Date = new Date()): { start?: string; end?: string } {
  if (range === 'month') return {};
  const days = range === '30d' ? 30 : 90;
  const end = today.toISOString().slice(0, 10);
  const start = new Date(Date.parse(`${end}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  return { start, end };
}

/** A quota's bar color: fine, near the limit (80 %), at it. */
export function quotaTone(share: number | null): 'blue' | 'orange' | 'red' {
  if (share === null || share < 0.8) return 'blue';
  return share < 1 ? 'orange' : 'red';
}

function QuotaRow({ name, quota }: { name: string; quota: Quota }) {
  const t = useBillingT();
  const f = useBillingFormats();
  const share = quotaShare(quota);
  const period = quotaPeriod(name);
  const label = billingLabel(t, 'quota', name);
  const used = quota.limit === null ? t('usage.usedUnlimited', { used: f.count(quota.used) }) : t('usage.used', { used: f.count(quota.used), limit: f.count(quota.limit) });
  return (
    <Stack gap={4} data-testid={`quota-${name}`}>
      <Group justify="space-between" gap="xs" wrap="wrap">
        <Text size="sm" fw={600}>
          {label}
          {period && (
            <Text span size="sm" c="dimmed" fw={400}>
              {' '}
              ({t(`period.${period}` as BillingKey)})
            </Text>
          )}
        </Text>
        <Group gap="xs">
          {share !== null && share >= 1 && (
            <Tag color="red" variant="light">
              {t('usage.atLimit')}
            </Tag>
          )}
          {share !== null && share >= 0.8 && share < 1 && (
            <Tag color="orange" variant="light">
              {t('usage.nearLimit')}
            </Tag>
          )}
          <Text size="sm">{used}</Text>
        </Group>
      </Group>
      <Progress
        value={share === null ? 0 : Math.min(100, share * 100)}
        color={quotaTone(share)}
        size="lg"
        aria-label={`${label}: ${used}`}
      />
      <Text size="xs" c="dimmed">
        {t('usage.resets', { date: f.moment(quota.resets_at) })}
      </Text>
    </Stack>
  );
}

export default function Usage() {
  const t = useBillingT();
  const f = useBillingFormats();
  const { can } = useSession();
  const [range, setRange] = useState<UsageRange>('month');
  const [chosen, setChosen] = useState<string | null>(null);
  const usage = useUsage(rangeDates(range));
  const data = usage.data;
  const quotaNames = data ? [...QUOTAS.filter((q) => q in data.quotas), ...Object.keys(data.quotas).filter((q) => !QUOTAS.includes(q))] : [];
  const meters = data ? Object.keys(data.totals).sort() : [];
  const meter = chosen && meters.includes(chosen) ? chosen : (meters[0] ?? null);
  const series = data && meter ? dailySeries(data, meter) : null;
  const meterLabel = (m: string) => billingLabel(t, 'meter', m);
  return (
    <Stack>
      <PageHeader
        title={t('usage.title')}
        subtitle={t('usage.subtitle')}
        actions={
          <SegmentedControl
            aria-label={t('usage.range')}
            value={range}
            onChange={(value) => setRange(value as UsageRange)}
            data={RANGES.map((r) => ({ value: r, label: t(`usage.range.${r}` as BillingKey) }))}
          />
        }
      />
      <Panel
        title={t('usage.quotas')}
        actions={
          can('billing:read') ? (
            <Anchor component={Link} to="/settings/billing" size="sm">
              {t('usage.upgrade')}
            </Anchor>
          ) : undefined
        }
      >
        {usage.isLoading && <TableSkeleton rows={6} />}
        {usage.error && <QueryError error={usage.error} onRetry={() => void usage.refetch()} />}
        {data && (
          <Stack gap="md" aria-label={t('usage.quotasCaption')} component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {quotaNames.map((name) => {
              const quota = data.quotas[name];
              return quota ? (
                <li key={name}>
                  <QuotaRow name={name} quota={quota} />
                </li>
              ) : null;
            })}
          </Stack>
        )}
      </Panel>
      <Panel
        title={t('usage.overTime')}
        actions={
          meters.length > 0 && meter ? (
            <Select
              label={t('usage.meter')}
              data={meters.map((m) => ({ value: m, label: meterLabel(m) }))}
              value={meter}
              onChange={setChosen}
              allowDeselect={false}
              size="xs"
              w={220}
            />
          ) : undefined
        }
      >
        {usage.isLoading && <TableSkeleton rows={4} />}
        {data && (
          <Text size="sm" c="dimmed">
            {t('usage.periodLabel', { from: f.day(data.start), to: f.day(data.end) })}
          </Text>
        )}
        {data && meters.length === 0 && <EmptyState>{t('usage.noMeters')}</EmptyState>}
        {data && meter && series && (
          <Stack gap="xs">
            <Text size="sm" data-testid="usage-total">
              {t('usage.total', { value: f.count(data.totals[meter] ?? 0) })}
            </Text>
            <ChartFigure
              caption={`${meterLabel(meter)} · ${t('usage.periodLabel', { from: f.day(data.start), to: f.day(data.end) })}`}
              rows={series.rows}
              columns={[
                { key: 'day', label: t('usage.day'), format: (v) => f.day(String(v)) },
                ...series.series.map((s) => ({ key: s, label: s === meter ? meterLabel(meter) : s, format: (v: unknown) => f.count(Number(v)) })),
              ]}
            >
              <BarChart
                h={260}
                data={series.rows}
                dataKey="day"
                type="stacked"
                series={seriesOf(series.series).map((s) => ({ ...s, label: s.name === meter ? meterLabel(meter) : s.name }))}
                withLegend={series.series.length > 1}
                valueFormatter={(v) => f.compact(v)}
                xAxisProps={{ tickFormatter: (v: string) => v.slice(5) }}
              />
            </ChartFigure>
          </Stack>
        )}
      </Panel>
    </Stack>
  );
}
