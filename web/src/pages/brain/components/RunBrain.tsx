/**
 * "Run the brain now": starts a run (or follows the one already in progress), shows each
 * module's progress by polling the run until it ends, then refreshes every brain answer.
 */
import { Box, Button, Group, Progress, Stack, Text } from '@mantine/core';
import { useCallback, useEffect, useState, type ReactNode } from 'react';

import { useSession } from '../../../auth/session';
import { notifyError, notifyFailure, notifySuccess } from '../../../lib/notify';
import { collidingRunId, orderedModules, runFinished, useFollowRun, useLatestRun, useStartRun, type BrainRun } from '../api';
import { tone, useBrainT, type BrainKey } from '../i18n';
import { Tag } from './Tag';

const STATUS_COLOR: Record<string, string> = {
  queued: 'gray',
  pending: 'gray',
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
  skipped: 'yellow',
};

export function statusLabel(t: ReturnType<typeof useBrainT>, status: string): string {
  const key = `run.status.${status}` as BrainKey;
  return t(key);
}

export function StatusBadge({ status }: { status: string }) {
  const t = useBrainT();
  return (
    <Tag color={STATUS_COLOR[status] ?? 'gray'} variant="light">
      {statusLabel(t, status)}
    </Tag>
  );
}

/** Per-module progress bars of one run (each bar labelled with its module and status). */
export function RunProgress({ run }: { run: BrainRun }) {
  const t = useBrainT();
  return (
    <Stack gap={6} aria-label={t('run.progress')} role="group">
      {orderedModules(run).map(([name, module]) => (
        <Group key={name} gap="sm" wrap="nowrap">
          <Text size="sm" w={90} tt="uppercase" fw={600}>
            {name}
          </Text>
          <Progress
            value={Math.round(module.progress * 100)}
            color={STATUS_COLOR[module.status] ?? 'blue'}
            animated={module.status === 'running'}
            style={{ flex: 1 }}
            aria-label={t('run.module', { module: name, status: statusLabel(t, module.status) })}
          />
          <Text size="xs" c="dimmed" w={80} ta="right">
            {module.seconds !== null && module.seconds !== undefined ? `${module.seconds.toFixed(1)} s` : statusLabel(t, module.status)}
          </Text>
        </Group>
      ))}
      {run.error && (
        <Text size="sm" c={tone('red')}>
          {run.error}
        </Text>
      )}
    </Stack>
  );
}

/** Starting a run (or following the one in progress) and toasting how it ended. */
export function useRunBrain(onFinished?: (run: BrainRun) => void) {
  const t = useBrainT();
  const { can } = useSession();
  const allowed = can('brain:run');
  const [runId, setRunId] = useState<string | null>(null);
  const latest = useLatestRun(allowed);
  // A run started elsewhere (another tab, the schedule) is followed too.
  useEffect(() => {
    if (runId === null && latest.data && !runFinished(latest.data)) setRunId(latest.data.id);
  }, [latest.data, runId]);
  const start = useStartRun();
  const finished = useCallback(
    (run: BrainRun) => {
      if (run.status === 'succeeded') notifySuccess(t('run.succeeded'));
      else notifyFailure(t('run.failed'), run.error ?? t('run.failed'));
      onFinished?.(run);
    },
    [onFinished, t],
  );
  const run = useFollowRun(runId, finished);
  const active = runId !== null && !runFinished(run.data);
  const begin = () =>
    start.mutate(undefined, {
      onSuccess: (created) => setRunId(created.id),
      onError: (error) => {
        const other = collidingRunId(error);
        if (other) setRunId(other);
        else notifyError(error, t('run.failed'));
      },
    });
  return { allowed, active, run: active ? run.data : undefined, starting: start.isPending, begin };
}

export function RunBrainButton({ onFinished, showProgress = true }: { onFinished?: (run: BrainRun) => void; showProgress?: boolean }) {
  const t = useBrainT();
  const { allowed, active, run, starting, begin } = useRunBrain(onFinished);
  if (!allowed) return null;
  return (
    <Stack gap="xs" style={{ minWidth: showProgress && active ? 320 : undefined }}>
      <Button onClick={begin} loading={starting || active} disabled={active}>
        {t('run.now')}
      </Button>
      <div role="status" aria-live="polite">
        {active && run && (
          <Stack gap={4}>
            <Text size="sm">
              {t('run.started')} · {statusLabel(t, run.status)}
            </Text>
            {showProgress && <RunProgress run={run} />}
          </Stack>
        )}
      </div>
    </Stack>
  );
}

/** The share of a run done (the mean of its modules' progress) and the module at work. */
export function runSummary(run: BrainRun): { progress: number; current: string | null } {
  const modules = orderedModules(run);
  if (modules.length === 0) return { progress: 0, current: null };
  const progress = modules.reduce((sum, [, module]) => sum + Math.min(Math.max(module.progress, 0), 1), 0) / modules.length;
  const working = modules.find(([, module]) => module.status === 'running') ?? modules.find(([, module]) => module.status === 'pending');
  return { progress, current: working ? working[0] : null };
}

/** Height of the run's one-line status under the dashboard's freshness line (always kept). */
export const RUN_LINE_HEIGHT = 20;

/**
 * The dashboard's variant: the button, and the run's progress as one line of fixed height
 * (one bar for the whole run and the module at work) under `children` — the line is kept
 * empty while no run is going, so a run starting or ending moves nothing on the page.
 */
export function RunBrainInline({ children }: { children: ReactNode }) {
  const t = useBrainT();
  const { allowed, active, run, starting, begin } = useRunBrain();
  const summary = run ? runSummary(run) : null;
  return (
    <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
      <Stack gap={4} style={{ flex: '1 1 240px', minWidth: 0 }}>
        {children}
        <Box h={RUN_LINE_HEIGHT} role="status" aria-live="polite" data-testid="run-line">
          {active && run && summary && (
            <Group gap="xs" wrap="nowrap" h="100%" role="group" aria-label={t('run.progress')}>
              <Progress
                value={Math.round(summary.progress * 100)}
                animated
                w={140}
                style={{ flexShrink: 0 }}
                aria-label={t('run.overall')}
              />
              <Text size="xs" c="dimmed" truncate>
                {t('run.started')} · {summary.current ? t('run.module', { module: summary.current, status: statusLabel(t, run.modules[summary.current]?.status ?? run.status) }) : statusLabel(t, run.status)}
              </Text>
            </Group>
          )}
        </Box>
      </Stack>
      {allowed && (
        <Button onClick={begin} loading={starting || active} disabled={active}>
          {t('run.now')}
        </Button>
      )}
    </Group>
  );
}
