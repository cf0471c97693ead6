/**
 * FACE, the dashboard: for the chosen persona and period, the KPI bar, what changed, the
 * three actions to take, the module cards, charts, winners/losers, alerts and freshness —
 * and the button that runs the brain with live progress.
 *
 * Nothing moves once shown: the first paint is a skeleton of the whole page until both the
 * summary and the onboarding checklist (shown above it) are known, then both appear at once;
 * the panels with answers of their own keep their final height while they load.
 */
import { Button, Group, SegmentedControl, SimpleGrid, Stack, Text, Title, VisuallyHidden } from '@mantine/core';
import { startTransition, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';

import { useSession } from '../../auth/session';
import { DataGuard, OnboardingPanel, useOnboarding } from '../../onboarding';
import { EmptyState, PageHeader } from '../../components/common';
import { useT } from '../../i18n';
import type { Prefetch } from '../../routes';
import { onboardingQuery } from '../../onboarding/api';
import { faceQuery, PERIODS, PERSONAS, useFace, type Period, type Persona } from './api';
import { ActionCard, useDecide } from './components/Actions';
import { Panel, QueryError } from './components/Panel';
import { RunBrainButton, RunBrainInline } from './components/RunBrain';
import { DailyCharts, FatigueChart } from './face/charts';
import { parsePeriod, parsePersona, useFaceParams } from './face/params';
import { Alerts, KpiBar, Leaderboard, ModuleCards } from './face/parts';
import { FaceSkeleton } from './face/skeleton';
import { useBrainT, useFormats, type BrainKey } from './i18n';

function Controls({ persona, period, setPersona, setPeriod }: { persona: Persona; period: Period; setPersona: (p: Persona) => void; setPeriod: (p: Period) => void }) {
  const t = useBrainT();
  return (
    <Group gap="sm" wrap="wrap">
      <div role="group" aria-labelledby="face-persona-label">
        <VisuallyHidden id="face-persona-label">{t('face.persona')}</VisuallyHidden>
        <SegmentedControl
          value={persona}
          onChange={(value) => setPersona(value as Persona)}
          data={PERSONAS.map((p) => ({ value: p, label: t(`face.persona.${p}` as BrainKey) }))}
        />
      </div>
      <div role="group" aria-labelledby="face-period-label">
        <VisuallyHidden id="face-period-label">{t('face.period')}</VisuallyHidden>
        <SegmentedControl
          value={period}
          onChange={(value) => setPeriod(value as Period)}
          data={PERIODS.map((p) => ({ value: p, label: t(`face.period.${p}` as BrainKey) }))}
        />
      </div>
    </Group>
  );
}

/** The summary and the checklist the first render waits for, asked as soon as the session is
 * known (see preloadRoute). */
export const prefetch: Prefetch = (client, orgId, search) => {
  void client.prefetchQuery(faceQuery(client, orgId, parsePersona(search.get('persona')), parsePeriod(search.get('period'))));
  void client.prefetchQuery(onboardingQuery(orgId));
};

export default function Face() {
  const t = useBrainT();
  const appT = useT();
  const f = useFormats();
  const { can } = useSession();
  const { persona, period, setPersona, setPeriod } = useFaceParams();
  const face = useFace(persona, period);
  const decide = useDecide();
  const onboarding = useOnboarding();
  // The first answers: one skeleton until both are in (the checklist appearing above the
  // dashboard later would push it down). Later loads (another persona or period) keep the
  // checklist and show the skeleton under it.
  const settled = !face.isLoading && !onboarding.isLoading;
  const [shown, setShown] = useState(false);
  // The dashboard's first render with its answers is the biggest of the page: a transition,
  // which React renders in slices between which the browser stays responsive (no long task).
  // Even when the answers are already there (prefetched, or cached from an earlier visit),
  // the header and the skeleton go first, so the page's heading is painted at once.
  useEffect(() => {
    if (settled && !shown) startTransition(() => setShown(true));
  }, [settled, shown]);
  const summary = face.data;
  return (
    <Stack>
      <PageHeader title={appT('face.title')} subtitle={appT('face.subtitle')} actions={<Controls persona={persona} period={period} setPersona={setPersona} setPeriod={setPeriod} />} />
      {shown && <OnboardingPanel />}
      {(!shown || face.isLoading) && <FaceSkeleton />}
      {shown && face.error && <QueryError error={face.error} onRetry={() => void face.refetch()} />}
      {shown && summary?.state === 'empty' && (
        // No data yet: the next onboarding step. Data but no run: run the brain from here.
        <DataGuard>
          <EmptyState title={t('face.emptyTitle')}>
            <Stack align="center" gap="sm">
              <span>{summary.explanation ?? t('face.emptyBody')}</span>
              <Group justify="center" align="flex-start">
                <RunBrainButton />
                {can('imports:write') && (
                  <Button component={Link} to="/import" variant="default">
                    {t('face.importCsv')}
                  </Button>
                )}
              </Group>
            </Stack>
          </EmptyState>
        </DataGuard>
      )}
      {shown && summary?.state === 'ready' && (
        <>
          <RunBrainInline>
            <Text size="sm" c="dimmed">
              {summary.data_as_of ? t('face.freshness', { date: f.day(summary.data_as_of) }) : t('face.freshnessUnknown')}
            </Text>
          </RunBrainInline>
          <KpiBar kpis={summary.kpis} />
          <Panel title={t('face.narrative')}>
            <Stack gap="xs" data-testid="face-narrative">
              {summary.narrative_sentences.map((sentence) => (
                <Text key={sentence}>{sentence}</Text>
              ))}
            </Stack>
          </Panel>
          <Panel
            title={t('face.topActions')}
            actions={
              <Button component={Link} to="/brain/curiosity" variant="subtle" size="xs">
                {t('face.seeAllActions')}
              </Button>
            }
          >
            {summary.actions.length === 0 ? (
              <Text size="sm">{t('face.noActions')}</Text>
            ) : (
              <SimpleGrid cols={{ base: 1, lg: 3 }}>
                {summary.actions.slice(0, 3).map((action) => (
                  <ActionCard key={action.id} action={action} decide={decide} />
                ))}
              </SimpleGrid>
            )}
          </Panel>
          <ModuleCards summary={summary} />
          <DailyCharts period={period} />
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <FatigueChart />
            <Panel title={t('face.alerts')}>
              <Alerts alerts={summary.alerts} />
            </Panel>
          </SimpleGrid>
          <Panel title={t('face.leaderboard')}>
            <Leaderboard summary={summary} />
          </Panel>
          {summary.notes.length > 0 && (
            <section aria-labelledby="face-notes">
              <Title order={2} size="h5" id="face-notes">
                {t('face.notes')}
              </Title>
              {summary.notes.map((note) => (
                <Text size="sm" c="dimmed" key={note}>
                  {note}
                </Text>
              ))}
            </section>
          )}
        </>
      )}
    </Stack>
  );
}
