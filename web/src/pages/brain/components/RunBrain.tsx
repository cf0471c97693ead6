/**
 * "Run the brain now": starts a run (or follows the one already in progress), shows each
 * module's progress by polling the run until it ends, then refreshes every brain answer.
 */
import { Button, Group, Progress, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useCallback, useEffect, useState } from 'react';

import { useSession } from '../../../auth/session';
import { notifyError, notifySuccess } from '../../../lib/notify';
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

export function RunBrainButton({ onFinished, showProgress = true }: { onFinished?: (run: BrainRun) => void; showProgress?: boolean }) {
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
      else notifications.show({ color: 'red', title: t('run.failed'), message: run.error ?? t('run.failed'), autoClose: 8000 });
      onFinished?.(run);
    },
    [onFinished, t],
  );
  const run = useFollowRun(runId, finished);
  const active = runId !== null && !runFinished(run.data);
  if (!allowed) return null;
  const begin = () =>
    start.mutate(undefined, {
      onSuccess: (created) => setRunId(created.id),
      onError: (error) => {
        const other = collidingRunId(error);
        if (other) setRunId(other);
        else notifyError(error, t('run.failed'));
      },
    });
  return (
    <Stack gap="xs" style={{ minWidth: showProgress && active ? 320 : undefined }}>
      <Button onClick={begin} loading={start.isPending || active} disabled={active}>
        {t('run.now')}
      </Button>
      <div role="status" aria-live="polite">
        {active && run.data && (
          <Stack gap={4}>
            <Text size="sm">
              {t('run.started')} · {statusLabel(t, run.data.status)}
            </Text>
            {showProgress && <RunProgress run={run.data} />}
          </Stack>
        )}
      </div>
    </Stack>
  );
}
