/**
 * The wizard's progress as an ordered list: each step says whether it is done, current or
 * still to come (in words, not only color); steps that may be revisited are buttons. The
 * current step is marked with `aria-current="step"`.
 */
import { Box, Group, Text, ThemeIcon, UnstyledButton } from '@mantine/core';

import { useConnT } from '../i18n';

export interface StepperStep {
  label: string;
}

export function Stepper({
  steps,
  active,
  reached,
  canSelect,
  onSelect,
}: {
  steps: StepperStep[];
  active: number;
  reached: number;
  canSelect: (index: number) => boolean;
  onSelect: (index: number) => void;
}) {
  const t = useConnT();
  return (
    <Box component="nav" aria-label={t('wizard.steps')}>
      <Box component="ol" m={0} p={0} style={{ listStyle: 'none', display: 'flex', flexWrap: 'wrap', gap: 'var(--mantine-spacing-xs) var(--mantine-spacing-lg)' }}>
        {steps.map((step, index) => {
          const current = index === active;
          const done = !current && index < reached;
          const state = current ? t('wizard.state.current') : done ? t('wizard.state.done') : t('wizard.state.todo');
          const content = (
            <Group gap={8} wrap="nowrap">
              <ThemeIcon
                radius="xl"
                size={28}
                variant={current ? 'filled' : done ? 'light' : 'default'}
                color={done ? 'green' : 'blue'}
                aria-hidden="true"
              >
                <Text size="sm" fw={700} component="span">
                  {done ? '✓' : index + 1}
                </Text>
              </ThemeIcon>
              <Text size="sm" fw={current ? 700 : 500} component="span">
                {step.label}
                <span className="visually-hidden">
                  {' '}
                  ({t('wizard.stepOf', { n: index + 1, total: steps.length })}, {state})
                </span>
              </Text>
            </Group>
          );
          return (
            <li key={step.label} aria-current={current ? 'step' : undefined} data-testid={`step-${index}`}>
              {canSelect(index) ? (
                <UnstyledButton onClick={() => onSelect(index)} px={4} py={2} style={{ borderRadius: 'var(--mantine-radius-sm)' }}>
                  {content}
                </UnstyledButton>
              ) : (
                <Box px={4} py={2}>
                  {content}
                </Box>
              )}
            </li>
          );
        })}
      </Box>
    </Box>
  );
}
