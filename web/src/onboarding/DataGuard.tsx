/**
 * The route guard of the pages that show data (the dashboard and the brain pages): until data
 * has landed they show what to do next — connect a source (or upload a CSV, or try sandbox
 * data), or wait for the first sync — instead of empty charts. With data, the page renders and
 * says itself when a brain run is still missing.
 */
import { Button, Group, Stack } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';

import { useSession } from '../auth/session';
import { EmptyState, PageSkeleton } from '../components/common';
import { useDataGate } from './api';
import { useOnboardingT } from './i18n';

export function NoDataYet({ gate }: { gate: 'connect' | 'sync' }) {
  const t = useOnboardingT();
  const { can } = useSession();
  if (gate === 'sync') {
    return (
      <EmptyState title={t('guard.syncing')}>
        <Stack align="center" gap="sm">
          <span>{t('guard.syncingBody')}</span>
          {can('integrations:read') && (
            <Button component={Link} to="/connections">
              {t('guard.syncingAction')}
            </Button>
          )}
        </Stack>
      </EmptyState>
    );
  }
  const connect = can('integrations:write');
  const upload = can('imports:write');
  return (
    <EmptyState title={t('guard.noData')}>
      <Stack align="center" gap="sm">
        <span>{t('guard.noDataBody')}</span>
        {connect || upload ? (
          <Group justify="center">
            {connect && (
              <Button component={Link} to="/connections/new">
                {t('onboarding.step.connect_data.action')}
              </Button>
            )}
            {upload && (
              <Button component={Link} to="/import" variant="default">
                {t('onboarding.step.connect_data.csv')}
              </Button>
            )}
          </Group>
        ) : (
          <span>{t('guard.noDataAsk')}</span>
        )}
      </Stack>
    </EmptyState>
  );
}

/** `children` once the organization has data; the next onboarding step's empty state before. */
export function DataGuard({ children }: { children: ReactNode }) {
  const gate = useDataGate();
  if (gate === 'loading') return <PageSkeleton rows={2} />;
  if (gate === 'ready') return <>{children}</>;
  return <NoDataYet gate={gate} />;
}
