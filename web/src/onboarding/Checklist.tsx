/**
 * The getting-started checklist: the five steps with what is done (and when), the next one
 * highlighted, each open step's call to action (a deep link to where it is done, or resending
 * the verification email), and a way to hide the list. Used in the shell's popover and as a
 * panel on the dashboard.
 */
import { Badge, Box, Button, Group, Paper, Progress, Stack, Text, ThemeIcon, Title, VisuallyHidden } from '@mantine/core';
import { useId } from 'react';
import { Link } from 'react-router-dom';

import { useSession } from '../auth/session';
import { useI18n } from '../i18n';
import { dateTimeFormat } from '../i18n/formats';
import { notifyError, notifySuccess } from '../lib/notify';
import { useDismissOnboarding, useOnboarding, useResendVerification } from './api';
import { useOnboardingT, type OnboardingKey } from './i18n';
import { checklistVisible, progress, stepAction, type Onboarding, type OnboardingStep } from './logic';

function StepActions({ step, onNavigate }: { step: OnboardingStep; onNavigate?: () => void }) {
  const t = useOnboardingT();
  const { can } = useSession();
  const resend = useResendVerification();
  const action = stepAction(step, can);
  if (action.kind === 'none') return null;
  if (action.kind === 'ask-admin') {
    return (
      <Text size="xs" c="dimmed">
        {t('onboarding.askAdmin')}
      </Text>
    );
  }
  if (action.kind === 'resend') {
    return (
      <Group gap="xs">
        <Button
          size="xs"
          variant="light"
          loading={resend.isPending}
          onClick={() =>
            resend.mutate(undefined, {
              onSuccess: () => notifySuccess(t('onboarding.step.verify_email.resent')),
              onError: (error) => notifyError(error, t('onboarding.step.verify_email.action')),
            })
          }
        >
          {t('onboarding.step.verify_email.action')}
        </Button>
      </Group>
    );
  }
  return (
    <Group gap="xs">
      {action.links.map((link, index) => (
        <Button
          key={link.to}
          component={Link}
          to={link.to}
          size="xs"
          variant={index === 0 ? 'light' : 'default'}
          onClick={onNavigate}
        >
          {t(link.label === 'csv' ? 'onboarding.step.connect_data.csv' : (`onboarding.step.${step.id}.action` as OnboardingKey))}
        </Button>
      ))}
    </Group>
  );
}

function StepItem({ step, index, next, onNavigate }: { step: OnboardingStep; index: number; next: boolean; onNavigate?: () => void }) {
  const t = useOnboardingT();
  const { locale } = useI18n();
  const day = dateTimeFormat(locale, { dateStyle: 'medium' });
  return (
    <li data-testid={`onboarding-step-${step.id}`} data-done={step.done ? 'true' : 'false'} style={{ listStyle: 'none' }}>
      <Group align="flex-start" gap="sm" wrap="nowrap">
        <ThemeIcon radius="xl" size={26} variant={step.done ? 'filled' : 'light'} color={step.done ? 'green' : next ? 'blue' : 'gray'} aria-hidden="true">
          <Text size="xs" fw={700} component="span">
            {step.done ? '✓' : index + 1}
          </Text>
        </ThemeIcon>
        <Stack gap={4} style={{ flex: 1, minWidth: 0 }}>
          <Group gap="xs" wrap="wrap">
            <Text fw={600} size="sm" td={step.done ? 'line-through' : undefined} c={step.done ? 'dimmed' : undefined}>
              <VisuallyHidden>{step.done ? t('onboarding.done') : t('onboarding.todo')}: </VisuallyHidden>
              {t(`onboarding.step.${step.id}` as OnboardingKey)}
            </Text>
            {next && (
              <Badge size="xs" variant="light" color="blue">
                {t('onboarding.next')}
              </Badge>
            )}
          </Group>
          {step.done ? (
            step.done_at && (
              <Text size="xs" c="dimmed">
                {t('onboarding.doneOn', { date: day.format(new Date(step.done_at)) })}
              </Text>
            )
          ) : (
            <>
              <Text size="xs" c="dimmed">
                {t(`onboarding.step.${step.id}.body` as OnboardingKey)}
              </Text>
              <StepActions step={step} onNavigate={onNavigate} />
            </>
          )}
        </Stack>
      </Group>
    </li>
  );
}

/** The list itself; `titleId` names its heading, for the region or dialog around it. */
export function OnboardingChecklist({
  onboarding,
  titleId,
  onNavigate,
  onDismiss,
}: {
  onboarding: Onboarding;
  titleId: string;
  onNavigate?: () => void;
  /** Called as the list is hidden (it disappears at once: focus must go somewhere). */
  onDismiss?: () => void;
}) {
  const t = useOnboardingT();
  const dismiss = useDismissOnboarding();
  const { done, total } = progress(onboarding);
  return (
    <Stack gap="sm" data-testid="onboarding-checklist">
      <Group justify="space-between" align="baseline" gap="xs">
        <Title order={2} size="h4" id={titleId}>
          {t('onboarding.title')}
        </Title>
        <Text size="sm" c="dimmed" data-testid="onboarding-progress">
          {t('onboarding.progressLong', { done, total })}
        </Text>
      </Group>
      {/* Decorative: the text above says the same (and pages keep progress bars for runs). */}
      <Box aria-hidden="true">
        <Progress value={(done / Math.max(total, 1)) * 100} size="sm" />
      </Box>
      <Text size="sm">{t('onboarding.intro')}</Text>
      <Stack component="ol" gap="md" m={0} p={0}>
        {onboarding.steps.map((step, index) => (
          <StepItem key={step.id} step={step} index={index} next={step.id === onboarding.next_step} onNavigate={onNavigate} />
        ))}
      </Stack>
      <Group justify="flex-end">
        <Button
          size="xs"
          variant="subtle"
          color="gray"
          loading={dismiss.isPending}
          onClick={() => {
            dismiss.mutate();
            onDismiss?.();
          }}
        >
          {t('onboarding.dismiss')}
        </Button>
      </Group>
    </Stack>
  );
}

/** The checklist as a panel (the dashboard shows it until every step is done or it is hidden). */
export function OnboardingPanel() {
  const query = useOnboarding();
  const titleId = useId();
  if (!query.data || !checklistVisible(query.data)) return null;
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby={titleId}>
      <OnboardingChecklist onboarding={query.data} titleId={titleId} />
    </Paper>
  );
}
