/**
 * CURIOSITY's actions as cards with Accept / Reject. Rejecting asks for a reason in a modal
 * dialog (focus moves into it, Escape closes it, focus returns to the button). Decisions are
 * optimistic (see `useDecideAction`): the card shows the decision at once and rolls back,
 * with a toast, if the API refuses it.
 */
import { Button, Group, Paper, Stack, Text } from '@mantine/core';
import { lazy, Suspense, useState } from 'react';

import { useSession } from '../../../auth/session';
import { notifyError, notifySuccess } from '../../../lib/notify';
import { useDecideAction, type Action } from '../api';
import { useBrainT, useFormats, type BrainKey, type BrainTranslate } from '../i18n';
import { Tag } from './Tag';

const RejectDialog = lazy(() => import('./RejectDialog'));

export const LEVEL_COLOR: Record<string, string> = { none: 'gray', low: 'green', medium: 'yellow', high: 'red' };

export function actionTypeLabel(t: BrainTranslate, type: string): string {
  const key = `action.type.${type}` as BrainKey;
  const label = t(key);
  // An action type newer than these pages shows as its readable name.
  return label === undefined || label === key ? type.replace(/_/g, ' ') : label;
}

export function actionStatusLabel(t: BrainTranslate, status: Action['status']): string {
  return t(`action.${status}` as BrainKey);
}

export function levelLabel(t: BrainTranslate, level: string): string {
  return t(`level.${level}` as BrainKey);
}

/** The decide mutation with the toasts every page uses. */
export function useDecide() {
  const t = useBrainT();
  return useDecideAction({
    onSuccess: (action, { decision }) =>
      notifySuccess(t(decision === 'accept' ? 'action.acceptedToast' : 'action.rejectedToast', { name: action.target.name })),
    onError: (error) => notifyError(error, t('action.rollback')),
  });
}

/** Accept / Reject buttons, or the decision once made. */
export function DecisionButtons({ action, decide }: { action: Action; decide: ReturnType<typeof useDecide> }) {
  const t = useBrainT();
  const { can } = useSession();
  const [rejecting, setRejecting] = useState(false);
  // The dialog (and the modal machinery) is fetched the first time Reject is pressed.
  const [asked, setAsked] = useState(false);
  if (action.status !== 'proposed') {
    return (
      <Tag color={action.status === 'accepted' ? 'green' : action.status === 'rejected' ? 'red' : 'gray'} variant="light">
        {actionStatusLabel(t, action.status)}
      </Tag>
    );
  }
  if (!can('brain:run')) return null;
  const label = `${actionTypeLabel(t, action.type)} ${action.target.name}`;
  return (
    <Group gap="xs">
      <Button size="xs" onClick={() => decide.mutate({ action, decision: 'accept' })} aria-label={`${t('action.accept')}: ${label}`}>
        {t('action.accept')}
      </Button>
      <Button size="xs" variant="default" onClick={() => {
          setAsked(true);
          setRejecting(true);
        }} aria-label={`${t('action.reject')}: ${label}`}>
        {t('action.reject')}
      </Button>
      {asked && (
        <Suspense fallback={null}>
          <RejectDialog
            action={action}
            opened={rejecting}
            onClose={() => setRejecting(false)}
            onConfirm={(reason) => {
              setRejecting(false);
              decide.mutate({ action, decision: 'reject', reason: reason || undefined });
            }}
          />
        </Suspense>
      )}
    </Group>
  );
}

export function ActionCard({ action, decide }: { action: Action; decide: ReturnType<typeof useDecide> }) {
  const t = useBrainT();
  const f = useFormats();
  const interval = action.estimated_impact_interval;
  return (
    <Paper withBorder p="md" radius="md" component="article" aria-label={`${actionTypeLabel(t, action.type)}: ${action.target.name}`}>
      <Stack gap="xs">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Text fw={700}>
            {actionTypeLabel(t, action.type)} · {action.target.name}
          </Text>
          <Group gap={4}>
            <Tag color={LEVEL_COLOR[action.urgency] ?? 'gray'} variant="light">
              {t('action.urgency')}: {levelLabel(t, action.urgency)}
            </Tag>
            {action.needs_human && (
              <Tag color="orange" variant="light" title={action.needs_human_reason ?? undefined}>
                {t('action.needsHuman')}
              </Tag>
            )}
          </Group>
        </Group>
        <Text size="sm">{action.rationale}</Text>
        <Group gap="lg" wrap="wrap">
          <Text size="sm">
            <Text span c="dimmed">
              {t('action.impact')}:{' '}
            </Text>
            <Text span fw={600}>
              {f.money(action.estimated_impact_usd)}
            </Text>
            {interval.ci_low !== null && interval.ci_high !== null && (
              <Text span c="dimmed">
                {' '}
                ({f.money(interval.ci_low)} – {f.money(interval.ci_high)})
              </Text>
            )}
          </Text>
          {(action.amount.current !== null || action.amount.recommended !== null) && (
            <Text size="sm">
              <Text span c="dimmed">
                {t('action.amount')}:{' '}
              </Text>
              {f.money(action.amount.current)} → {f.money(action.amount.recommended)}
            </Text>
          )}
          <Text size="sm">
            <Text span c="dimmed">
              {t('action.confidence')}:{' '}
            </Text>
            {f.percent(action.confidence)}
          </Text>
        </Group>
        {action.needs_human && action.needs_human_reason && (
          <Text size="xs" c="dimmed">
            {action.needs_human_reason}
          </Text>
        )}
        <DecisionButtons action={action} decide={decide} />
      </Stack>
    </Paper>
  );
}
