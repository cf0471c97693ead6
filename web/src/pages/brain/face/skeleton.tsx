/**
 * The dashboard's loading placeholders, shaped like what replaces them: every block keeps
 * the height of its final content (the same constants size both), so nothing on the page
 * moves when the answers arrive (no layout shift).
 */
import { Box, Group, Paper, SimpleGrid, Skeleton, Stack } from '@mantine/core';
import type { ReactNode } from 'react';

import { useI18n } from '../../../i18n';
import { RUN_LINE_HEIGHT } from '../components/RunBrain';

/** Heights (px) the dashboard's blocks keep whether loading or loaded. */
export const FACE_HEIGHTS = {
  /** A KPI card: label, value and the delta (two lines on a phone, where cards are narrow). */
  kpiCard: { base: 124, md: 108 },
  /** A MEMORY / ORACLE / CURIOSITY card. */
  moduleCard: 190,
  /** The spend and revenue charts. */
  areaChart: 260,
  /** The ROAS trend. */
  lineChart: 220,
  /** The fatigue chart: room for the ten creatives the dashboard asks for. */
  fatigueChart: 320,
  /** A chart's caption under it. */
  caption: 24,
} as const;

/** The box a chart panel's body lives in: the chart's height whatever it shows (chart,
 * placeholder, error or "no data"). */
export function ChartSlot({ height, children }: { height: number; children: ReactNode }) {
  return <Box mih={height + FACE_HEIGHTS.caption}>{children}</Box>;
}

/** A chart panel's placeholder: the chart area and its caption line. */
export function ChartSkeleton({ height }: { height: number }) {
  const { t } = useI18n();
  return (
    <Stack gap={6} aria-busy="true" aria-label={t('app.loading')}>
      <Skeleton height={height} radius="sm" />
      <Skeleton height={12} width="30%" />
    </Stack>
  );
}

function PanelSkeleton({ children, titleWidth = '30%' }: { children: ReactNode; titleWidth?: string }) {
  return (
    <Paper withBorder p="lg" radius="md">
      <Stack gap="md">
        <Skeleton height={26} width={titleWidth} />
        {children}
      </Stack>
    </Paper>
  );
}

/** The whole dashboard while its summary (and the checklist above it) load. */
export function FaceSkeleton() {
  const { t } = useI18n();
  return (
    <Stack aria-busy="true" aria-label={t('app.loading')} data-testid="face-skeleton">
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
        <Stack gap={4} style={{ flex: '1 1 240px' }}>
          <Skeleton height={20} width={180} />
          <Box h={RUN_LINE_HEIGHT} />
        </Stack>
        <Skeleton height={36} width={170} />
      </Group>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        {Array.from({ length: 4 }, (_, i) => (
          <Skeleton key={i} mih={FACE_HEIGHTS.kpiCard} radius="md" />
        ))}
      </SimpleGrid>
      <PanelSkeleton>
        <Stack gap={8}>
          <Skeleton height={16} />
          <Skeleton height={16} />
          <Skeleton height={16} width="70%" />
        </Stack>
      </PanelSkeleton>
      <PanelSkeleton>
        <SimpleGrid cols={{ base: 1, lg: 3 }}>
          {Array.from({ length: 3 }, (_, i) => (
            <Skeleton key={i} height={420} radius="md" />
          ))}
        </SimpleGrid>
      </PanelSkeleton>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        {Array.from({ length: 3 }, (_, i) => (
          <Skeleton key={i} height={FACE_HEIGHTS.moduleCard} radius="md" />
        ))}
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <PanelSkeleton>
          <ChartSlot height={FACE_HEIGHTS.areaChart}>
            <ChartSkeleton height={FACE_HEIGHTS.areaChart} />
          </ChartSlot>
        </PanelSkeleton>
        <PanelSkeleton>
          <ChartSlot height={FACE_HEIGHTS.areaChart}>
            <ChartSkeleton height={FACE_HEIGHTS.areaChart} />
          </ChartSlot>
        </PanelSkeleton>
      </SimpleGrid>
    </Stack>
  );
}
