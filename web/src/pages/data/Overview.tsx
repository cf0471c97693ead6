/**
 * The data overview (`/data`; the home page is the FACE dashboard): spend and revenue over time by
 * channel, from the warehouse's daily metrics, for the last 7/30/90 days of data. The charts are
 * drawn when they come near the viewport (see LazyChart).
 */
import { Button, Paper, SegmentedControl, SimpleGrid, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';

import { useOrgId, useSession } from '../../auth/session';
import { AreaChart } from '../../components/charts/LazyChart';
import { EmptyState, PageHeader, PageSkeleton, Section } from '../../components/common';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n';
import type { Prefetch } from '../../routes';
import { loadSeries } from './metrics';

const COLORS = ['blue.6', 'teal.6', 'grape.6', 'orange.6', 'red.6', 'cyan.6', 'lime.7', 'pink.6', 'indigo.6', 'yellow.7'];

function Kpi({ label, value }: { label: string; value: string }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text size="xl" fw={700} mt={4}>
        {value}
      </Text>
    </Paper>
  );
}

const DEFAULT_DAYS = '30';

function overviewQuery(orgId: string, days: string) {
  return { queryKey: ['overview', orgId, days], queryFn: () => loadSeries(orgId, Number(days)), staleTime: 60_000 };
}

/** The default period's series, asked as soon as the session is known (see preloadRoute). */
export const prefetch: Prefetch = (client, orgId) => {
  void client.prefetchQuery(overviewQuery(orgId, DEFAULT_DAYS));
};

export default function Overview() {
  const { t, locale } = useI18n();
  const orgId = useOrgId();
  const { can } = useSession();
  const [days, setDays] = useState(DEFAULT_DAYS);
  const data = useQuery(overviewQuery(orgId, days));
  const money = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const overview = data.data?.overview;
  const series = (overview?.channels ?? []).map((name, index) => ({ name, color: COLORS[index % COLORS.length] ?? 'blue.6' }));
  return (
    <Stack>
      <PageHeader
        title={t('overview.title')}
        subtitle={t('overview.subtitle')}
        actions={
          <SegmentedControl
            aria-label={t('overview.period')}
            value={days}
            onChange={setDays}
            data={['7', '30', '90'].map((n) => ({ value: n, label: t('overview.days', { n }) }))}
          />
        }
      />
      {data.isLoading && <PageSkeleton rows={3} />}
      <ProblemAlert error={data.error} />
      {data.isSuccess && !overview && (
        <EmptyState title={t('overview.emptyTitle')}>
          <Stack align="center" gap="sm">
            <span>{t('overview.emptyBody')}</span>
            {can('imports:write') && (
              <Button component={Link} to="/import">
                {t('overview.emptyAction')}
              </Button>
            )}
          </Stack>
        </EmptyState>
      )}
      {overview && (
        <>
          <SimpleGrid cols={{ base: 2, md: 4 }}>
            <Kpi label={t('overview.spend')} value={money.format(overview.totals.spend)} />
            <Kpi label={t('overview.revenue')} value={money.format(overview.totals.revenue)} />
            <Kpi label={t('overview.roas')} value={overview.totals.roas === null ? '—' : `${overview.totals.roas.toFixed(2)}×`} />
            <Kpi label={t('overview.conversions')} value={number.format(overview.totals.conversions)} />
          </SimpleGrid>
          <Section title={t('overview.spendByChannel')}>
            <AreaChart h={280} data={overview.spend} dataKey="date" series={series} type="stacked" withLegend curveType="monotone" withDots={false} valueFormatter={(v) => money.format(v)} />
          </Section>
          <Section title={t('overview.revenueByChannel')}>
            <AreaChart h={280} data={overview.revenue} dataKey="date" series={series} type="stacked" withLegend curveType="monotone" withDots={false} valueFormatter={(v) => money.format(v)} />
          </Section>
        </>
      )}
    </Stack>
  );
}
