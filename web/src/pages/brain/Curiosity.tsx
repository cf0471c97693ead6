/**
 * CURIOSITY: the actions it proposed and what people decided (accept / reject with a reason,
 * optimistic), and the budget what-if — a total daily budget and a largest change per
 * channel in, the modelled best allocation and its extra return out. Nothing is changed in
 * the ad accounts.
 */
import { BarChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Button, NumberInput, SegmentedControl, SimpleGrid, Slider, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useId, useState } from 'react';

import { useSession } from '../../auth/session';
import { PageHeader, TableSkeleton, useFormatDate } from '../../components/common';
import { NoDataYet, useDataGate } from '../../onboarding';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { needsRun, useActions, useOptimize, type ActionStatus } from './api';
import { actionStatusLabel, actionTypeLabel, DecisionButtons, LEVEL_COLOR, levelLabel, useDecide } from './components/Actions';
import { ChartFigure, NeedsRun, Panel, QueryError, TableScroll } from './components/Panel';
import { Tag } from './components/Tag';
import { tone, useBrainT, useFormats } from './i18n';

const STATUSES: ActionStatus[] = ['proposed', 'accepted', 'rejected', 'superseded'];

function ActionHistory() {
  const t = useBrainT();
  const appT = useT();
  const f = useFormats();
  const formatDate = useFormatDate();
  const labelId = useId();
  const [status, setStatus] = useState<ActionStatus>('proposed');
  const actions = useActions(status);
  const decide = useDecide();
  const rows = actions.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <Panel
      title={t('curiosity.actions')}
      actions={
        <div role="group" aria-labelledby={labelId}>
          <VisuallyHidden id={labelId}>{t('curiosity.status')}</VisuallyHidden>
          <SegmentedControl size="xs" value={status} onChange={(v) => setStatus(v as ActionStatus)} data={STATUSES.map((s) => ({ value: s, label: actionStatusLabel(t, s) }))} />
        </div>
      }
    >
      {actions.isLoading && <TableSkeleton rows={4} />}
      {actions.error && <QueryError error={actions.error} onRetry={() => void actions.refetch()} />}
      {actions.isSuccess && rows.length === 0 && <Text size="sm">{t('curiosity.noActions')}</Text>}
      {rows.length > 0 && (
        <TableScroll label={t('curiosity.actionsCaption')}>
          <Table withTableBorder miw={1000} verticalSpacing="sm">
            <caption style={{ captionSide: 'top', textAlign: 'left' }}>
              <Text size="sm" c="dimmed" component="span">
                {t('curiosity.actionsCaption')}
              </Text>
            </caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('curiosity.type')}</Table.Th>
                <Table.Th scope="col">{t('curiosity.target')}</Table.Th>
                <Table.Th scope="col">{t('action.amount')}</Table.Th>
                <Table.Th scope="col" ta="right">{t('action.impact')}</Table.Th>
                <Table.Th scope="col">{t('action.urgency')}</Table.Th>
                <Table.Th scope="col" ta="right">{t('action.confidence')}</Table.Th>
                <Table.Th scope="col">{t('curiosity.rationale')}</Table.Th>
                <Table.Th scope="col">{t('curiosity.decision')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Th scope="row" fw={600}>
                    {actionTypeLabel(t, a.type)}
                    {a.needs_human && (
                      <Tag ml={4} size="xs" color="orange" variant="light">
                        {t('action.needsHuman')}
                      </Tag>
                    )}
                  </Table.Th>
                  <Table.Td>{a.target.name}</Table.Td>
                  <Table.Td>
                    {a.amount.current === null && a.amount.recommended === null ? '—' : `${f.money(a.amount.current)} → ${f.money(a.amount.recommended)}`}
                  </Table.Td>
                  <Table.Td ta="right">{f.money(a.estimated_impact_usd)}</Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <Tag color={LEVEL_COLOR[a.urgency] ?? 'gray'} variant="light">
                      {levelLabel(t, a.urgency)}
                    </Tag>
                  </Table.Td>
                  <Table.Td ta="right">{f.percent(a.confidence)}</Table.Td>
                  <Table.Td miw={280}>
                    <Text size="xs">{a.rationale}</Text>
                    {a.needs_human_reason && (
                      <Text size="xs" c="dimmed">
                        {a.needs_human_reason}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Stack gap={4}>
                      <DecisionButtons action={a} decide={decide} />
                      {a.decided_at && (
                        <Text size="xs" c="dimmed">
                          {t('action.decidedAt', { date: formatDate(a.decided_at) })}
                        </Text>
                      )}
                    </Stack>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
      {actions.hasNextPage && (
        <Button variant="default" size="xs" onClick={() => void actions.fetchNextPage()} loading={actions.isFetchingNextPage}>
          {appT('app.loadMore')}
        </Button>
      )}
    </Panel>
  );
}

function Optimizer() {
  const t = useBrainT();
  const f = useFormats();
  const { can } = useSession();
  const [total, setTotal] = useState<number | string>('');
  const [maxChange, setMaxChange] = useState(30);
  const optimize = useOptimize();
  const sliderLabel = useId();
  const result = optimize.data;
  if (!can('brain:run')) return null;
  const chartRows = (result?.allocation ?? []).map((row) => ({ name: row.name, current: row.current, recommended: row.recommended }));
  const money = (v: unknown) => f.money(typeof v === 'number' ? v : null);
  return (
    <Panel title={t('curiosity.optimizer')}>
      <Text size="sm" c="dimmed">
        {t('curiosity.optimizerHelp')}
      </Text>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          optimize.mutate({ total_budget: typeof total === 'number' && total > 0 ? total : null, max_change: maxChange / 100, keep_fixed: [] });
        }}
      >
        <SimpleGrid cols={{ base: 1, sm: 3 }} mt="sm" style={{ alignItems: 'end' }}>
          <NumberInput
            label={t('curiosity.totalBudget')}
            description={t('curiosity.totalBudgetHint')}
            value={total}
            onChange={setTotal}
            min={1}
            max={1_000_000_000}
            prefix="$"
            thousandSeparator=","
            allowNegative={false}
          />
          <div>
            <Text size="sm" fw={500} id={sliderLabel} mb={6}>
              {t('curiosity.maxChange')}: ±{maxChange}%
            </Text>
            <Slider
              value={maxChange}
              onChange={setMaxChange}
              min={0}
              max={100}
              step={5}
              label={(v) => `±${v}%`}
              thumbLabel={t('curiosity.maxChange')}
            />
          </div>
          <Button type="submit" loading={optimize.isPending}>
            {t('curiosity.run')}
          </Button>
        </SimpleGrid>
      </form>
      {optimize.error && (needsRun(optimize.error) ? <NeedsRun /> : <ProblemAlert error={optimize.error} />)}
      {result && (
        <Stack gap="sm" mt="md" aria-live="polite">
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <div>
              <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
                {t('curiosity.revenueCurrent')}
              </Text>
              <Text fw={700}>{f.money(result.modelled_daily_revenue_current)}</Text>
            </div>
            <div>
              <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
                {t('curiosity.revenueRecommended')}
              </Text>
              <Text fw={700}>{f.money(result.modelled_daily_revenue_recommended)}</Text>
            </div>
            <div>
              <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
                {t('curiosity.return28')}
              </Text>
              <Text fw={700} c={tone(result.modelled_return_28d_usd >= 0 ? 'green' : 'red')}>
                {f.money(result.modelled_return_28d_usd)}
              </Text>
            </div>
          </SimpleGrid>
          <ChartFigure
            caption={t('curiosity.resultCaption')}
            rows={chartRows}
            columns={[
              { key: 'name', label: t('memory.channel') },
              { key: 'current', label: t('curiosity.current'), format: money },
              { key: 'recommended', label: t('curiosity.recommended'), format: money },
            ]}
          >
            <BarChart
              h={240}
              data={chartRows}
              dataKey="name"
              withLegend
              series={[
                { name: 'current', label: t('curiosity.current'), color: 'gray.5' },
                { name: 'recommended', label: t('curiosity.recommended'), color: 'blue.7' },
              ]}
              valueFormatter={(v) => f.money(v)}
            />
          </ChartFigure>
          <Table withTableBorder>
            <caption style={{ captionSide: 'top', textAlign: 'left' }}>
              <Text size="sm" c="dimmed" component="span">
                {t('curiosity.resultCaption')} · {t('curiosity.budget')} {f.money(result.total_budget)}
              </Text>
            </caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('memory.channel')}</Table.Th>
                <Table.Th scope="col" ta="right">{t('curiosity.current')}</Table.Th>
                <Table.Th scope="col" ta="right">{t('curiosity.recommended')}</Table.Th>
                <Table.Th scope="col" ta="right">{t('curiosity.change')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {result.allocation.map((row) => (
                <Table.Tr key={row.channel_id}>
                  <Table.Th scope="row">{row.name}</Table.Th>
                  <Table.Td ta="right">{f.money(row.current)}</Table.Td>
                  <Table.Td ta="right">{f.money(row.recommended)}</Table.Td>
                  <Table.Td ta="right">{f.signedPercent(row.change)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {result.notes.map((note) => (
            <Text size="xs" c="dimmed" key={note}>
              {note}
            </Text>
          ))}
        </Stack>
      )}
    </Panel>
  );
}

export default function Curiosity() {
  const t = useBrainT();
  const gate = useDataGate();
  const noData = gate === 'connect' || gate === 'sync';
  return (
    <Stack>
      <PageHeader title={t('curiosity.title')} subtitle={t('curiosity.subtitle')} />
      {/* No data yet: the next onboarding step instead of an empty history and what-if. */}
      {noData ? (
        <NoDataYet gate={gate} />
      ) : (
        <>
          <ActionHistory />
          <Optimizer />
        </>
      )}
    </Stack>
  );
}
