/**
 * The FACE dashboard's panels: the KPI bar with deltas, the MEMORY / ORACLE / CURIOSITY
 * cards, the winners/losers leaderboard and the alerts. The summary's `cards` and
 * `leaderboard` are free-form documents in the API schema, so they are read defensively
 * through the small typed views below.
 */
import { Anchor, Group, List, Paper, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router-dom';

import type { FaceSummary } from '../api';
import { LEVEL_COLOR } from '../components/Actions';
import { tone, useBrainT, useFormats, type BrainKey } from '../i18n';
import { Tag } from '../components/Tag';
import { FACE_HEIGHTS } from './skeleton';

type Kpi = FaceSummary['kpis'][number];

const RISK_COLOR: Record<string, string> = { green: tone('green'), yellow: tone('yellow'), red: tone('red') };

interface Row {
  id: string;
  name: string;
  roas: number | null;
  spend: number | null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function arr(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(obj) : [];
}

function rows(value: unknown, idKey: string): Row[] {
  return arr(value).map((r) => ({
    id: String(r[idKey] ?? r.name ?? ''),
    name: String(r.name ?? '—'),
    roas: num(r.roas),
    spend: num(r.spend),
  }));
}

/** The cards' figures the dashboard shows (absent parts are simply not shown). */
export function readCards(cards: FaceSummary['cards']) {
  const memory = obj(cards.memory);
  const oracle = obj(cards.oracle);
  const curiosity = obj(cards.curiosity);
  return {
    memory: cards.memory
      ? {
          channels: arr(memory.channels).length,
          ltvFactor: num(memory.ltv_factor),
          totals: obj(memory.totals),
          modelVersion: typeof memory.model_version === 'string' ? memory.model_version : null,
        }
      : null,
    oracle: cards.oracle
      ? {
          riskLevel: typeof oracle.risk_level === 'string' ? oracle.risk_level : null,
          fatiguing: arr(oracle.fatiguing_creatives).length,
          decaying: arr(oracle.decaying_channels).length,
          reasons: Array.isArray(oracle.risk_reasons) ? oracle.risk_reasons.map(String) : [],
        }
      : null,
    curiosity: cards.curiosity
      ? {
          proposed: num(curiosity.actions_proposed) ?? 0,
          needsHuman: num(curiosity.needs_human) ?? 0,
          impact: num(curiosity.total_estimated_impact_usd),
        }
      : null,
  };
}

export function readLeaderboard(board: FaceSummary['leaderboard']) {
  return {
    winners: rows(board.winners, 'channel_id'),
    losers: rows(board.losers, 'channel_id'),
    top: rows(board.top_creatives, 'creative_id'),
    bottom: rows(board.bottom_creatives, 'creative_id'),
  };
}

function riskText(t: ReturnType<typeof useBrainT>, level: unknown): string {
  return typeof level === 'string' && ['green', 'yellow', 'red'].includes(level) ? t(`face.risk.${level}` as BrainKey) : '—';
}

function KpiCard({ kpi }: { kpi: Kpi }) {
  const t = useBrainT();
  const f = useFormats();
  let value: string;
  let delta: string | null = null;
  let color = 'dimmed';
  if (kpi.unit === 'level') {
    value = riskText(t, kpi.value);
    if (typeof kpi.change === 'string') {
      delta = t(`face.risk.${kpi.change}` as BrainKey);
      color = kpi.change === 'worse' ? tone('red') : kpi.change === 'better' ? tone('green') : 'dimmed';
    }
  } else {
    const v = num(kpi.value);
    value = kpi.unit === 'usd' ? f.money(v) : f.ratio(v);
    const change = num(kpi.change);
    if (change !== null) {
      delta = `${change > 0 ? '▲' : change < 0 ? '▼' : '■'} ${f.signedPercent(change)} ${t('face.vsPrevious')}`;
      color = change > 0 ? tone('green') : change < 0 ? tone('red') : 'dimmed';
    }
  }
  return (
    <Paper withBorder p="md" radius="md" component="li" mih={FACE_HEIGHTS.kpiCard} style={{ listStyle: 'none' }}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {kpi.label}
      </Text>
      <Text size="xl" fw={700} mt={4} c={kpi.unit === 'level' ? RISK_COLOR[String(kpi.value)] : undefined}>
        {value}
      </Text>
      <Text size="xs" c={color} mt={2}>
        {delta ?? t('face.noPrevious')}
      </Text>
    </Paper>
  );
}

export function KpiBar({ kpis }: { kpis: Kpi[] }) {
  const t = useBrainT();
  return (
    <SimpleGrid cols={{ base: 2, md: 4 }} component="ul" aria-label={t('face.kpis')} p={0} m={0}>
      {kpis.map((kpi) => (
        <KpiCard key={kpi.key} kpi={kpi} />
      ))}
    </SimpleGrid>
  );
}

function ModuleCard({ title, to, link, children }: { title: string; to: string; link: string; children: React.ReactNode }) {
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-label={title} mih={FACE_HEIGHTS.moduleCard}>
      <Stack gap="xs">
        <Text fw={700} component="h3" m={0} size="md">
          {title}
        </Text>
        {children}
        <Anchor component={Link} to={to} size="sm">
          {link}
        </Anchor>
      </Stack>
    </Paper>
  );
}

export function ModuleCards({ summary }: { summary: FaceSummary }) {
  const t = useBrainT();
  const f = useFormats();
  const cards = readCards(summary.cards);
  return (
    <SimpleGrid cols={{ base: 1, md: 3 }}>
      <ModuleCard title={t('face.memoryCard')} to="/brain/memory" link={t('face.openMemory')}>
        {cards.memory ? (
          <>
            <Text size="sm">{t('face.channelsModelled', { n: cards.memory.channels })}</Text>
            {cards.memory.ltvFactor !== null && <Text size="sm">{t('face.ltvFactor', { value: cards.memory.ltvFactor.toFixed(2) })}</Text>}
          </>
        ) : (
          <Text size="sm" c="dimmed">
            {t('common.na')}
          </Text>
        )}
      </ModuleCard>
      <ModuleCard title={t('face.oracleCard')} to="/brain/oracle" link={t('face.openOracle')}>
        {cards.oracle ? (
          <>
            <Text size="sm">{t('face.fatiguing', { n: cards.oracle.fatiguing })}</Text>
            <Text size="sm">{t('face.decaying', { n: cards.oracle.decaying })}</Text>
            {cards.oracle.reasons.slice(0, 2).map((reason) => (
              <Text size="xs" c="dimmed" key={reason}>
                {reason}
              </Text>
            ))}
          </>
        ) : (
          <Text size="sm" c="dimmed">
            {t('common.na')}
          </Text>
        )}
      </ModuleCard>
      <ModuleCard title={t('face.curiosityCard')} to="/brain/curiosity" link={t('face.openCuriosity')}>
        {cards.curiosity ? (
          <>
            <Text size="sm">{t('face.proposed', { n: cards.curiosity.proposed, human: cards.curiosity.needsHuman })}</Text>
            {cards.curiosity.impact !== null && <Text size="sm">{t('face.totalImpact', { value: f.money(cards.curiosity.impact) })}</Text>}
          </>
        ) : (
          <Text size="sm" c="dimmed">
            {t('common.na')}
          </Text>
        )}
      </ModuleCard>
    </SimpleGrid>
  );
}

function BoardTable({ caption, items }: { caption: string; items: Row[] }) {
  const t = useBrainT();
  const f = useFormats();
  return (
    <Table withTableBorder captionSide="top" style={{ alignSelf: 'start' }}>
      <Table.Caption style={{ textAlign: 'left', fontWeight: 600, color: 'inherit' }}>{caption}</Table.Caption>
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">{t('memory.channel')}</Table.Th>
          <Table.Th scope="col">{t('memory.spend')}</Table.Th>
          <Table.Th scope="col">{t('memory.roas')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {items.length === 0 ? (
          <Table.Tr>
            <Table.Td colSpan={3}>{t('face.none')}</Table.Td>
          </Table.Tr>
        ) : (
          items.map((row) => (
            <Table.Tr key={row.id}>
              <Table.Th scope="row" fw={500}>
                {row.name}
              </Table.Th>
              <Table.Td>{f.money(row.spend)}</Table.Td>
              <Table.Td>{f.ratio(row.roas)}</Table.Td>
            </Table.Tr>
          ))
        )}
      </Table.Tbody>
    </Table>
  );
}

export function Leaderboard({ summary }: { summary: FaceSummary }) {
  const t = useBrainT();
  const board = readLeaderboard(summary.leaderboard);
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      <BoardTable caption={t('face.winners')} items={board.winners} />
      <BoardTable caption={t('face.losers')} items={board.losers} />
      <BoardTable caption={t('face.topCreatives')} items={board.top} />
      <BoardTable caption={t('face.bottomCreatives')} items={board.bottom} />
    </SimpleGrid>
  );
}

export function Alerts({ alerts }: { alerts: FaceSummary['alerts'] }) {
  const t = useBrainT();
  if (alerts.length === 0) return <Text size="sm">{t('face.noAlerts')}</Text>;
  return (
    <List spacing="xs" listStyleType="none" p={0}>
      {alerts.map((alert, index) => (
        <List.Item key={`${alert.kind}-${alert.entity_id ?? index}`}>
          <Group gap="xs" wrap="nowrap" align="flex-start">
            <Tag color={LEVEL_COLOR[alert.severity] ?? 'gray'} variant="light" style={{ flexShrink: 0 }}>
              {t(`level.${alert.severity}` as BrainKey)}
            </Tag>
            <Text size="sm">{alert.message}</Text>
          </Group>
        </List.Item>
      ))}
    </List>
  );
}
