/**
 * Model evaluations: the models of the registry serving the organization (the champion
 * version marked), and for the chosen one its metrics over time (a line per metric across
 * evaluation runs, with the target as a reference line) and the table of its evaluation
 * runs. Metrics arrive as nested objects (`{held_out: {auc_7d: …}, development: {…}}`) and
 * are shown flattened (`held_out.auc_7d`).
 */
import { LineChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Button, Chip, Group, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router-dom';

import { api, unwrap, type Schemas } from '../../api/client';
import { useOrgId } from '../../auth/session';
import { EmptyState, LoadMore, PageHeader, TableSkeleton, useFormatDate } from '../../components/common';
import { ChartFigure, Panel, QueryError, TableScroll } from './components/Panel';
import { Tag } from './components/Tag';
import { tone, useBrainT, type BrainKey } from './i18n';

export type Model = Schemas['ModelRead'];
export type Evaluation = Schemas['EvaluationRead'];

/** Numeric leaves of a nested metrics object, by dotted path (`held_out.auc_7d`). */
export function flattenMetrics(value: unknown, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof inner === 'number' && Number.isFinite(inner)) out[path] = inner;
    else if (typeof inner === 'object' && inner !== null) Object.assign(out, flattenMetrics(inner, path));
  }
  return out;
}

/** The target of a metric: by its full path, else by its name on held-out data or top level. */
export function targetFor(metric: string, targets: Record<string, number>): number | undefined {
  if (metric in targets) return targets[metric];
  const parts = metric.split('.');
  if (parts.length === 1 || parts[0] === 'held_out') return targets[parts[parts.length - 1] ?? ''];
  return undefined;
}

/** Every metric seen across the runs; those with a target first (the "key metrics"). */
export function metricNames(evaluations: Evaluation[]): { all: string[]; key: string[] } {
  const seen = new Set<string>();
  const keyed = new Set<string>();
  for (const run of evaluations) {
    const targets = flattenMetrics(run.targets);
    for (const name of Object.keys(flattenMetrics(run.metrics))) {
      seen.add(name);
      if (targetFor(name, targets) !== undefined) keyed.add(name);
    }
  }
  const key = Array.from(keyed).sort();
  const rest = Array.from(seen)
    .filter((name) => !keyed.has(name))
    .sort();
  return { all: [...key, ...rest], key };
}

/** One point per evaluation run, oldest first: `label` (version and day) and the metric. */
export function metricSeries(evaluations: Evaluation[], metric: string): { label: string; value: number; version: number | null; at: string }[] {
  return [...evaluations]
    .sort((a, b) => a.created_at.localeCompare(b.created_at))
    .flatMap((run) => {
      const value = flattenMetrics(run.metrics)[metric];
      if (value === undefined) return [];
      const day = run.created_at.slice(0, 10);
      return [{ label: run.version === null ? day : `v${run.version} · ${day}`, value, version: run.version, at: run.created_at }];
    });
}

function useModels() {
  const orgId = useOrgId();
  return useQuery({
    queryKey: ['brain', orgId, 'models'],
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/models', { params: { path: { org_id: orgId }, query: { limit: 200 } } })),
    staleTime: 60_000,
  });
}

function useEvaluations(modelId: string | null) {
  const orgId = useOrgId();
  return useInfiniteQuery({
    queryKey: ['brain', orgId, 'models', modelId, 'evaluations'],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/organizations/{org_id}/models/{model_id}/evaluations', {
          params: { path: { org_id: orgId, model_id: modelId ?? '' }, query: { limit: 100, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => (page.has_more ? (page.next_cursor ?? undefined) : undefined),
    enabled: modelId !== null,
  });
}

const number = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(3));

function ModelsTable({ models, selected, onSelect }: { models: Model[]; selected: string | null; onSelect: (id: string) => void }) {
  const t = useBrainT();
  return (
    <TableScroll label={t('eval.modelsCaption')}>
      <Table withTableBorder highlightOnHover miw={680}>
        <caption style={{ captionSide: 'top', textAlign: 'left' }}>
          <Text size="sm" c="dimmed" component="span">
            {t('eval.modelsCaption')}
          </Text>
        </caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">{t('eval.model')}</Table.Th>
            <Table.Th scope="col">{t('eval.module')}</Table.Th>
            <Table.Th scope="col">{t('eval.scope')}</Table.Th>
            <Table.Th scope="col">{t('eval.latest')}</Table.Th>
            <Table.Th scope="col">{t('eval.champion')}</Table.Th>
            <Table.Th scope="col">
              <span className="visually-hidden">{t('eval.selected')}</span>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {models.map((model) => (
            <Table.Tr key={model.id} bg={model.id === selected ? 'var(--mantine-color-blue-light)' : undefined}>
              <Table.Th scope="row" fw={600}>
                {model.name}
                {model.description && (
                  <Text size="xs" c="dimmed" fw={400}>
                    {model.description}
                  </Text>
                )}
              </Table.Th>
              <Table.Td tt="uppercase">{model.module}</Table.Td>
              <Table.Td>{t(`eval.scope.${model.scope}` as BrainKey)}</Table.Td>
              <Table.Td>{model.latest_version === null ? '—' : `v${model.latest_version}`}</Table.Td>
              <Table.Td>
                {model.champion_version === null ? (
                  <Text size="sm" c="dimmed">
                    {t('eval.noChampion')}
                  </Text>
                ) : (
                  <Tag color="yellow" variant="light">
                    ★ {t('eval.championVersion', { version: model.champion_version })}
                  </Tag>
                )}
              </Table.Td>
              <Table.Td>
                <Button
                  size="xs"
                  variant={model.id === selected ? 'filled' : 'default'}
                  aria-pressed={model.id === selected}
                  onClick={() => onSelect(model.id)}
                  aria-label={t('eval.select', { name: model.name })}
                >
                  {t('eval.show')}
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </TableScroll>
  );
}

function MetricChart({ model, metric, evaluations }: { model: Model; metric: string; evaluations: Evaluation[] }) {
  const t = useBrainT();
  const points = metricSeries(evaluations, metric);
  const latestTargets = flattenMetrics(evaluations[0]?.targets);
  const target = targetFor(metric, latestTargets);
  const caption = t('eval.chartCaption', { metric, model: model.name });
  return (
    <Stack gap={4} data-testid={`metric-chart-${metric}`}>
      <Text size="sm" fw={600}>
        {metric}
        {target !== undefined && (
          <Text span size="xs" c="dimmed" fw={400}>
            {' '}
            · {t('eval.target', { value: number(target) })}
          </Text>
        )}
      </Text>
      <ChartFigure
        caption={caption}
        rows={points}
        columns={[
          { key: 'label', label: t('eval.evaluation') },
          { key: 'value', label: metric, format: (v) => (typeof v === 'number' ? number(v) : '—') },
        ]}
      >
        <LineChart
          h={180}
          data={points}
          dataKey="label"
          series={[{ name: 'value', label: metric, color: 'blue.7' }]}
          withDots
          curveType="linear"
          valueFormatter={(v) => number(v)}
          referenceLines={target === undefined ? [] : [{ y: target, label: t('eval.target', { value: number(target) }), color: 'red.6' }]}
          yAxisProps={{ domain: ['auto', 'auto'], width: 56 }}
          xAxisProps={{ tickFormatter: (v: string) => v.split(' · ')[0] ?? v }}
        />
      </ChartFigure>
    </Stack>
  );
}

function EvaluationsTable({ model, evaluations, metrics }: { model: Model; evaluations: Evaluation[]; metrics: string[] }) {
  const t = useBrainT();
  const formatDate = useFormatDate();
  const shown = metrics.slice(0, 4);
  return (
    <TableScroll label={t('eval.runsCaption', { model: model.name })}>
      <Table withTableBorder miw={760}>
        <caption style={{ captionSide: 'top', textAlign: 'left' }}>
          <Text size="sm" c="dimmed" component="span">
            {t('eval.runsCaption', { model: model.name })}
          </Text>
        </caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">{t('eval.when')}</Table.Th>
            <Table.Th scope="col">{t('eval.version')}</Table.Th>
            <Table.Th scope="col">{t('eval.dataset')}</Table.Th>
            <Table.Th scope="col">{t('eval.result')}</Table.Th>
            {shown.map((metric) => (
              <Table.Th key={metric} scope="col" ta="right">
                {metric}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {evaluations.map((run) => {
            const values = flattenMetrics(run.metrics);
            return (
              <Table.Tr key={run.id} data-testid="evaluation-row">
                <Table.Th scope="row" fw={500}>
                  {formatDate(run.created_at)}
                </Table.Th>
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    <span>{run.version === null ? '—' : `v${run.version}`}</span>
                    {run.version !== null && run.version === model.champion_version && (
                      <Tag color="yellow" variant="light" size="sm">
                        ★ {t('eval.champion')}
                      </Tag>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text size="xs" className="mono" style={{ wordBreak: 'break-all' }}>
                    {run.dataset}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {run.passed === null ? (
                    <Text size="sm" c="dimmed">
                      {t('eval.unknown')}
                    </Text>
                  ) : (
                    <Tag color={run.passed ? 'green' : 'red'} variant="light">
                      {run.passed ? t('eval.passed') : t('eval.failed')}
                    </Tag>
                  )}
                </Table.Td>
                {shown.map((metric) => {
                  const value = values[metric];
                  const target = targetFor(metric, flattenMetrics(run.targets));
                  return (
                    <Table.Td key={metric} ta="right">
                      {value === undefined ? '—' : number(value)}
                      {value !== undefined && target !== undefined && (
                        <Text size="xs" c={tone('blue')}>
                          {t('eval.target', { value: number(target) })}
                        </Text>
                      )}
                    </Table.Td>
                  );
                })}
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </TableScroll>
  );
}

function ModelEvaluations({ model }: { model: Model }) {
  const t = useBrainT();
  const [params, setParams] = useSearchParams();
  const evaluations = useEvaluations(model.id);
  const runs = evaluations.data?.pages.flatMap((page) => page.data) ?? [];
  const names = metricNames(runs);
  const requested = params.getAll('metric').filter((m) => names.all.includes(m));
  const chosen = requested.length > 0 ? requested : names.key.length > 0 ? names.key : names.all.slice(0, 4);
  const choose = (next: string[]) =>
    setParams(
      (current) => {
        const updated = new URLSearchParams(current);
        updated.delete('metric');
        for (const m of next) updated.append('metric', m);
        return updated;
      },
      { replace: true },
    );
  return (
    <>
      <Panel title={`${t('eval.trend')} · ${model.name}`}>
        {evaluations.isLoading && <TableSkeleton rows={4} />}
        {evaluations.error && <QueryError error={evaluations.error} onRetry={() => void evaluations.refetch()} />}
        {evaluations.isSuccess && runs.length === 0 && <EmptyState>{t('eval.noEvaluations')}</EmptyState>}
        {runs.length > 0 && (
          <Stack>
            <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
              <legend>
                <Text size="sm" fw={600} mb={6}>
                  {t('eval.metrics')}
                </Text>
              </legend>
              <Chip.Group multiple value={chosen} onChange={choose}>
                <Group gap={6}>
                  {names.all.map((name) => (
                    <Chip key={name} value={name} size="xs" variant={names.key.includes(name) ? 'filled' : 'outline'}>
                      {name}
                    </Chip>
                  ))}
                </Group>
              </Chip.Group>
            </fieldset>
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              {chosen.map((metric) => (
                <MetricChart key={metric} model={model} metric={metric} evaluations={runs} />
              ))}
            </SimpleGrid>
          </Stack>
        )}
      </Panel>
      {runs.length > 0 && (
        <Panel title={t('eval.runs')}>
          <Stack gap="xs">
            <EvaluationsTable model={model} evaluations={runs} metrics={chosen} />
            <LoadMore query={evaluations} />
          </Stack>
        </Panel>
      )}
    </>
  );
}

export default function Evaluations() {
  const t = useBrainT();
  const [params, setParams] = useSearchParams();
  const models = useModels();
  const list = models.data?.data ?? [];
  const requested = params.get('model');
  const selected = list.find((m) => m.id === requested) ?? list[0] ?? null;
  const select = (id: string) => setParams({ model: id }, { replace: true });
  return (
    <Stack>
      <PageHeader title={t('eval.title')} subtitle={t('eval.subtitle')} />
      <Panel title={t('eval.models')}>
        {models.isLoading && <TableSkeleton rows={3} />}
        {models.error && <QueryError error={models.error} onRetry={() => void models.refetch()} />}
        {models.isSuccess && list.length === 0 && <EmptyState>{t('eval.noModels')}</EmptyState>}
        {list.length > 0 && <ModelsTable models={list} selected={selected?.id ?? null} onSelect={select} />}
      </Panel>
      {selected && <ModelEvaluations key={selected.id} model={selected} />}
    </Stack>
  );
}
