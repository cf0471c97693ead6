/**
 * ORACLE: what will break next — creatives at risk of fatigue (7/14-day probabilities,
 * predicted drop with its interval, the risk factors behind it, a refresh date), channels
 * whose return is decaying, and cohorts whose LTV drifts from its baseline. All from the
 * latest finished run; before the first one the page offers to run the brain.
 */
import { LineChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Alert, List, Stack, Table, Text } from '@mantine/core';

import { PageHeader, TableSkeleton } from '../../components/common';
import { needsRun, useLtvDrift, useOracleChannels, useOracleCreatives } from './api';
import { LEVEL_COLOR, levelLabel } from './components/Actions';
import { ChartFigure, NeedsRun, Panel, QueryError, TableScroll } from './components/Panel';
import { Tag } from './components/Tag';
import { tone, useBrainT, useFormats, type BrainKey } from './i18n';

const RISK_COLOR: Record<string, string> = { green: 'green', yellow: 'yellow', red: 'red' };

function Creatives() {
  const t = useBrainT();
  const f = useFormats();
  const creatives = useOracleCreatives(200);
  const data = creatives.data;
  return (
    <Panel title={t('oracle.creatives')}>
      {creatives.isLoading && <TableSkeleton rows={5} />}
      {creatives.error && <QueryError error={creatives.error} onRetry={() => void creatives.refetch()} />}
      {data && data.data.length === 0 && <Text size="sm">{t('oracle.noneAtRisk')}</Text>}
      {data && data.data.length > 0 && (
        <Stack gap="xs">
          <TableScroll label={t('oracle.creativesCaption')}>
            <Table withTableBorder miw={900}>
              <caption style={{ captionSide: 'top', textAlign: 'left' }}>
                <Text size="sm" c="dimmed" component="span">
                  {t('oracle.creativesCaption')}
                </Text>
              </caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('oracle.creative')}</Table.Th>
                  <Table.Th scope="col" ta="right">{t('oracle.p7')}</Table.Th>
                  <Table.Th scope="col" ta="right">{t('oracle.p14')}</Table.Th>
                  <Table.Th scope="col">{t('oracle.drop')}</Table.Th>
                  <Table.Th scope="col">{t('oracle.drivers')}</Table.Th>
                  <Table.Th scope="col">{t('oracle.refresh')}</Table.Th>
                  <Table.Th scope="col">{t('oracle.method')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.data.map((c) => (
                  <Table.Tr key={c.creative_id}>
                    <Table.Th scope="row" fw={600}>
                      {c.name}
                    </Table.Th>
                    <Table.Td ta="right">
                      <Text span fw={(c.fatigue_probability_7d ?? 0) >= 0.5 ? 700 : 400} c={(c.fatigue_probability_7d ?? 0) >= 0.5 ? tone('red') : undefined}>
                        {f.percent(c.fatigue_probability_7d)}
                      </Text>
                    </Table.Td>
                    <Table.Td ta="right">{f.percent(c.fatigue_probability_14d)}</Table.Td>
                    <Table.Td>
                      {c.predicted_drop && c.predicted_drop.estimate !== null ? (
                        <>
                          {f.percent(c.predicted_drop.estimate)}{' '}
                          <Text span size="xs" c="dimmed">
                            ({f.percent(c.predicted_drop.ci_low)} – {f.percent(c.predicted_drop.ci_high)})
                          </Text>
                        </>
                      ) : (
                        '—'
                      )}
                    </Table.Td>
                    <Table.Td>
                      {c.risk_factors.length > 0 ? (
                        <List size="xs" spacing={0}>
                          {c.risk_factors.map((factor) => (
                            <List.Item key={factor}>{factor}</List.Item>
                          ))}
                        </List>
                      ) : (
                        <Text size="xs" c="dimmed">
                          {c.reason ?? '—'}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{f.day(c.recommended_refresh_date)}</Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      <Tag variant="outline" color={c.method === 'insufficient_data' ? 'gray' : 'blue'}>
                        {t(`oracle.method.${c.method}` as BrainKey)}
                      </Tag>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
          {data.total > data.data.length && (
            <Text size="xs" c="dimmed">
              {t('oracle.showing', { shown: data.data.length, total: data.total })}
            </Text>
          )}
        </Stack>
      )}
    </Panel>
  );
}

function Channels() {
  const t = useBrainT();
  const f = useFormats();
  const channels = useOracleChannels();
  const data = channels.data;
  return (
    <Panel title={t('oracle.channels')}>
      {channels.isLoading && <TableSkeleton rows={3} />}
      {channels.error && <QueryError error={channels.error} onRetry={() => void channels.refetch()} />}
      {data && (
        <Stack gap="sm">
          <Alert color={RISK_COLOR[data.risk_level] ?? 'gray'} variant="light" title={t('oracle.globalRisk', { level: t(`face.risk.${data.risk_level}` as BrainKey) })}>
            {data.risk_reasons.length > 0 && (
              <List size="sm">
                {data.risk_reasons.map((reason) => (
                  <List.Item key={reason}>{reason}</List.Item>
                ))}
              </List>
            )}
          </Alert>
          <TableScroll label={t('oracle.channelsCaption')}>
            <Table withTableBorder miw={640}>
              <caption style={{ captionSide: 'top', textAlign: 'left' }}>
                <Text size="sm" c="dimmed" component="span">
                  {t('oracle.channelsCaption')}
                </Text>
              </caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('memory.channel')}</Table.Th>
                  <Table.Th scope="col">{t('oracle.severity')}</Table.Th>
                  <Table.Th scope="col" ta="right">{t('oracle.roasTrend')}</Table.Th>
                  <Table.Th scope="col" ta="right">{t('oracle.spendTrend')}</Table.Th>
                  <Table.Th scope="col">{t('oracle.reasons')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.data.map((c) => (
                  <Table.Tr key={c.channel_id}>
                    <Table.Th scope="row" fw={600}>
                      {c.name}
                    </Table.Th>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      <Tag color={LEVEL_COLOR[c.decay_severity] ?? 'gray'} variant="light">
                        {levelLabel(t, c.decay_severity)}
                      </Tag>
                    </Table.Td>
                    <Table.Td ta="right">{f.signedPercent(c.roas_trend)}</Table.Td>
                    <Table.Td ta="right">{f.signedPercent(c.spend_trend)}</Table.Td>
                    <Table.Td>
                      {c.reasons.length > 0 ? (
                        <List size="xs" spacing={0}>
                          {c.reasons.map((reason) => (
                            <List.Item key={reason}>{reason}</List.Item>
                          ))}
                        </List>
                      ) : (
                        '—'
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        </Stack>
      )}
    </Panel>
  );
}

function LtvDrift() {
  const t = useBrainT();
  const f = useFormats();
  const drift = useLtvDrift();
  const rows = (drift.data?.data ?? []).map((d) => ({
    month: d.month.slice(0, 7),
    ltv: d.ltv,
    baseline: d.baseline,
    drift: d.drift,
    severity: d.severity,
    horizon: d.horizon_days,
  }));
  const money = (v: unknown) => f.money(typeof v === 'number' ? v : null);
  return (
    <Panel title={t('oracle.ltvDrift')}>
      {drift.isLoading && <TableSkeleton rows={3} />}
      {drift.error && <QueryError error={drift.error} onRetry={() => void drift.refetch()} />}
      {drift.isSuccess && rows.length === 0 && <Text size="sm">{t('memory.noCohorts')}</Text>}
      {rows.length > 0 && (
        <Stack>
          <ChartFigure
            caption={t('oracle.ltvCaption')}
            rows={rows}
            columns={[
              { key: 'month', label: t('memory.cohortMonth') },
              { key: 'ltv', label: t('oracle.ltv'), format: money },
              { key: 'baseline', label: t('oracle.baseline'), format: money },
            ]}
          >
            <LineChart
              h={240}
              data={rows}
              dataKey="month"
              withLegend
              connectNulls
              series={[
                { name: 'ltv', label: t('oracle.ltv'), color: 'grape.6' },
                { name: 'baseline', label: t('oracle.baseline'), color: 'gray.6', strokeDasharray: '5 5' },
              ]}
              valueFormatter={(v) => f.money(v)}
            />
          </ChartFigure>
          <TableScroll label={t('oracle.ltvCaption')}>
            <Table withTableBorder miw={560}>
              <caption style={{ captionSide: 'top', textAlign: 'left' }}>
                <Text size="sm" c="dimmed" component="span">
                  {t('oracle.ltvCaption')}
                </Text>
              </caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('memory.cohortMonth')}</Table.Th>
                  <Table.Th scope="col" ta="right">{t('oracle.ltv')}</Table.Th>
                  <Table.Th scope="col" ta="right">{t('oracle.baseline')}</Table.Th>
                  <Table.Th scope="col" ta="right">{t('oracle.drift')}</Table.Th>
                  <Table.Th scope="col">{t('oracle.severity')}</Table.Th>
                  <Table.Th scope="col">{t('oracle.horizon')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((d) => (
                  <Table.Tr key={d.month}>
                    <Table.Th scope="row">{d.month}</Table.Th>
                    <Table.Td ta="right">{f.money(d.ltv)}</Table.Td>
                    <Table.Td ta="right">{f.money(d.baseline)}</Table.Td>
                    <Table.Td ta="right">{f.signedPercent(d.drift)}</Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      <Tag color={LEVEL_COLOR[d.severity] ?? 'gray'} variant="light">
                        {levelLabel(t, d.severity)}
                      </Tag>
                    </Table.Td>
                    <Table.Td>{t('oracle.days', { n: d.horizon })}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        </Stack>
      )}
    </Panel>
  );
}

export default function Oracle() {
  const t = useBrainT();
  // One probe decides between the answers and the "run the brain first" state.
  const probe = useOracleChannels();
  return (
    <Stack>
      <PageHeader title={t('oracle.title')} subtitle={t('oracle.subtitle')} />
      {needsRun(probe.error) ? (
        <NeedsRun />
      ) : (
        <>
          <Creatives />
          <Channels />
          <LtvDrift />
        </>
      )}
    </Stack>
  );
}
