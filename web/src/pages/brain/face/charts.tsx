/**
 * The dashboard's charts: spend and revenue by channel over the period, the blended ROAS
 * trend (both from the warehouse's daily metrics) and the 7-day fatigue risk of the most
 * at-risk creatives (ORACLE). Each has a text alternative (see ChartFigure), and each keeps
 * its height while loading, failed or empty (see ChartSlot). The pictures are drawn when
 * they come near the viewport (see LazyChart): the first paint waits for no chart.
 */
import { SimpleGrid, Text } from '@mantine/core';

import { AreaChart, BarChart, LineChart } from '../../../components/charts/LazyChart';
import { needsRun, useDailySeries, useOracleCreatives, type Period } from '../api';
import { ChartFigure, Panel, QueryError } from '../components/Panel';
import { useBrainT, useFormats } from '../i18n';
import { ChartSkeleton, ChartSlot, FACE_HEIGHTS } from './skeleton';

export const COLORS = ['blue.6', 'teal.6', 'grape.6', 'orange.6', 'red.6', 'cyan.6', 'lime.7', 'pink.6', 'indigo.6', 'yellow.7'];

export function seriesOf(names: string[]) {
  return names.map((name, index) => ({ name, color: COLORS[index % COLORS.length] ?? 'blue.6' }));
}

export function DailyCharts({ period }: { period: Period }) {
  const t = useBrainT();
  const f = useFormats();
  const daily = useDailySeries(period);
  const data = daily.data;
  const body = (height: number, render: (d: NonNullable<typeof data>) => React.ReactNode) => {
    let content: React.ReactNode;
    if (daily.isLoading) content = <ChartSkeleton height={height} />;
    else if (daily.error) content = <QueryError error={daily.error} onRetry={() => void daily.refetch()} />;
    else if (!data) content = <Text size="sm">{t('face.noDaily')}</Text>;
    else content = render(data);
    return <ChartSlot height={height}>{content}</ChartSlot>;
  };
  const columns = (channels: string[]) => [
    { key: 'date', label: t('common.date') },
    ...channels.map((c) => ({ key: c, label: c, format: (v: unknown) => f.money(typeof v === 'number' ? v : null) })),
  ];
  return (
    <>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Panel title={t('face.spendByChannel')}>
          {body(FACE_HEIGHTS.areaChart, (d) => (
            <ChartFigure caption={t('face.spendByChannel')} rows={d.spend} columns={columns(d.channels)}>
              <AreaChart h={FACE_HEIGHTS.areaChart} data={d.spend} dataKey="date" series={seriesOf(d.channels)} type="stacked" withLegend curveType="monotone" withDots={false} valueFormatter={(v) => f.money(v)} />
            </ChartFigure>
          ))}
        </Panel>
        <Panel title={t('face.revenueByChannel')}>
          {body(FACE_HEIGHTS.areaChart, (d) => (
            <ChartFigure caption={t('face.revenueByChannel')} rows={d.revenue} columns={columns(d.channels)}>
              <AreaChart h={FACE_HEIGHTS.areaChart} data={d.revenue} dataKey="date" series={seriesOf(d.channels)} type="stacked" withLegend curveType="monotone" withDots={false} valueFormatter={(v) => f.money(v)} />
            </ChartFigure>
          ))}
        </Panel>
      </SimpleGrid>
      <Panel title={t('face.roasTrend')}>
        {body(FACE_HEIGHTS.lineChart, (d) => (
          <ChartFigure
            caption={t('face.roasTrend')}
            rows={d.roas}
            columns={[
              { key: 'date', label: t('common.date') },
              { key: 'roas', label: t('memory.roas'), format: (v) => f.ratio(typeof v === 'number' ? v : null) },
            ]}
          >
            <LineChart h={FACE_HEIGHTS.lineChart} data={d.roas} dataKey="date" series={[{ name: 'roas', label: 'ROAS', color: 'blue.7' }]} curveType="monotone" withDots={false} connectNulls valueFormatter={(v) => f.ratio(v)} />
          </ChartFigure>
        ))}
      </Panel>
    </>
  );
}

export function FatigueChart() {
  const t = useBrainT();
  const f = useFormats();
  const creatives = useOracleCreatives(10);
  const rows = (creatives.data?.data ?? [])
    .filter((c) => c.fatigue_probability_7d !== null)
    .map((c) => ({ name: c.name, p7: Math.round((c.fatigue_probability_7d ?? 0) * 100), p14: Math.round((c.fatigue_probability_14d ?? 0) * 100) }));
  return (
    <Panel title={t('face.fatigueChart')}>
      <ChartSlot height={FACE_HEIGHTS.fatigueChart}>
        {creatives.isLoading && <ChartSkeleton height={FACE_HEIGHTS.fatigueChart} />}
        {creatives.error && !needsRun(creatives.error) && <QueryError error={creatives.error} onRetry={() => void creatives.refetch()} />}
        {(needsRun(creatives.error) || (creatives.isSuccess && rows.length === 0)) && <Text size="sm">{t('face.noCreatives')}</Text>}
        {rows.length > 0 && (
          <ChartFigure
            caption={t('face.fatigueChart')}
            rows={rows}
            columns={[
              { key: 'name', label: t('oracle.creative') },
              { key: 'p7', label: t('oracle.p7'), format: (v) => f.percent(Number(v) / 100) },
              { key: 'p14', label: t('oracle.p14'), format: (v) => f.percent(Number(v) / 100) },
            ]}
          >
            <BarChart
              h={FACE_HEIGHTS.fatigueChart}
              maxBarWidth={14}
              data={rows}
              dataKey="name"
              orientation="vertical"
              yAxisProps={{ width: 140 }}
              xAxisProps={{ domain: [0, 100] }}
              series={[
                { name: 'p7', label: t('oracle.p7'), color: 'red.6' },
                { name: 'p14', label: t('oracle.p14'), color: 'orange.4' },
              ]}
              withLegend
              valueFormatter={(v) => `${v}%`}
            />
          </ChartFigure>
        )}
      </ChartSlot>
    </Panel>
  );
}
