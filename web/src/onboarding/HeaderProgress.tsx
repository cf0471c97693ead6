/**
 * The checklist's progress in the shell's header ("Get started 3 of 5") on every page until
 * every step is done or the member hides it; it opens the checklist in a popover (focus moves
 * in, Escape closes it and returns focus). A lazy chunk of its own, mounted once by the shell,
 * which also makes it the place where the checklist follows the app's mutations and the
 * pages' answers follow the checklist (data landed, a run succeeded).
 */
import { Button, Popover, RingProgress, Text } from '@mantine/core';
import { useEffect, useId, useState } from 'react';
import { useLocation } from 'react-router-dom';

import { useDataFollowsOnboarding, useOnboarding, useOnboardingFollowsMutations } from './api';
import { OnboardingChecklist } from './Checklist';
import { useOnboardingT } from './i18n';
import { checklistVisible, progress } from './logic';

export default function OnboardingHeaderProgress() {
  const t = useOnboardingT();
  useOnboardingFollowsMutations();
  useDataFollowsOnboarding();
  const query = useOnboarding();
  const [opened, setOpened] = useState(false);
  const titleId = useId();
  const { pathname } = useLocation();
  const { isStale, refetch } = query;
  // A new page: close the popover and catch up with what happened meanwhile.
  useEffect(() => {
    setOpened(false);
    if (isStale) void refetch();
    // Only on navigation (`isStale` turns true on its own a few seconds after each fetch).
  }, [pathname]);
  if (!query.data || !checklistVisible(query.data)) return null;
  const { done, total } = progress(query.data);
  const count = t('onboarding.progress', { done, total });
  return (
    <Popover opened={opened} onChange={setOpened} position="bottom-end" width={380} trapFocus returnFocus shadow="md" withinPortal>
      <Popover.Target>
        <Button
          variant="light"
          size="xs"
          px="xs"
          onClick={() => setOpened((open) => !open)}
          aria-label={`${t('onboarding.button')} ${count}`}
          data-testid="onboarding-progress-button"
          style={{ flexShrink: 0 }}
          leftSection={
            <RingProgress size={22} thickness={3} roundCaps aria-hidden="true" sections={[{ value: (done / Math.max(total, 1)) * 100, color: 'blue' }]} />
          }
        >
          {/* The trailing space keeps the visible text ("Get started 2 of 5") equal to the
              accessible name, as WCAG 2.5.3 (label in name) asks. */}
          <Text span size="xs" fw={600} visibleFrom="sm" mr={4}>
            {`${t('onboarding.button')} `}
          </Text>
          <Text span size="xs" fw={600}>
            {count}
          </Text>
        </Button>
      </Popover.Target>
      <Popover.Dropdown aria-labelledby={titleId} maw="calc(100vw - 16px)">
        <OnboardingChecklist
          onboarding={query.data}
          titleId={titleId}
          onNavigate={() => setOpened(false)}
          // The button that opened the popover goes away with it: continue from the page.
          onDismiss={() => document.getElementById('main')?.focus()}
        />
      </Popover.Dropdown>
    </Popover>
  );
}
