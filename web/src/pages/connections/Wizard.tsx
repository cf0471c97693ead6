/**
 * The Connect Platforms wizard (`/connections/new`): choose a platform → authorize (OAuth
 * redirect, API key, or sandbox data) → access checks → streams and backfill start → the first
 * sync with live progress. The connection's id is kept in the address (`?connection=`), so a
 * reload — or the way back from the OAuth provider — resumes at the right step. Each step's
 * heading receives focus when the step changes.
 */
import { Button, Group, Paper, Stack, Title } from '@mantine/core';
import { useEffect, useReducer, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';

import { PageHeader, PageSkeleton } from '../../components/common';
import { ProblemAlert } from '../../components/ProblemAlert';
import { QueryError } from '../brain/components/Panel';
import { useConnection, useProviders, type Connection } from './api';
import { Stepper } from './components/Stepper';
import { useConnT, type ConnKey } from './i18n';
import { AuthorizeStep } from './wizard/AuthorizeStep';
import { ChecksStep } from './wizard/ChecksStep';
import { ProviderStep } from './wizard/ProviderStep';
import { StreamsStep } from './wizard/StreamsStep';
import { SyncStep } from './wizard/SyncStep';
import { canSelect, INITIAL, STEP, STEPS, wizardReducer } from './wizardState';

export default function ConnectWizard() {
  const t = useConnT();
  const [params, setParams] = useSearchParams();
  // Opened with `?connection=`: continue where that connection is (once, at the start).
  const [resumeId, setResumeId] = useState(() => params.get('connection'));
  const providers = useProviders();
  const [state, dispatch] = useReducer(wizardReducer, INITIAL);
  const connection = useConnection(state.connectionId ?? resumeId);
  const resuming = resumeId !== null;
  const resumeData = resuming ? connection.data : undefined;
  useEffect(() => {
    if (!resumeData) return;
    dispatch({ type: 'resume', provider: resumeData.provider, connectionId: resumeData.id, authorized: resumeData.status !== 'pending' });
    setResumeId(null);
  }, [resumeData]);

  // The address follows the connection (set once created, dropped when discarded).
  const inAddress = params.get('connection');
  useEffect(() => {
    if (resuming || state.connectionId === inAddress) return;
    setParams(state.connectionId ? { connection: state.connectionId } : {}, { replace: true });
  }, [state.connectionId, inAddress, resuming, setParams]);

  // Focus each step's heading when the step changes (not on the first render: the route
  // change already put focus on the page).
  const heading = useRef<HTMLHeadingElement>(null);
  const firstStep = useRef(true);
  useEffect(() => {
    if (firstStep.current) {
      firstStep.current = false;
      return;
    }
    heading.current?.focus();
  }, [state.step]);

  const provider = providers.data?.find((p) => p.id === state.provider);
  const labels = STEPS.map((id) => ({ label: t(`wizard.step.${id}` as ConnKey) }));
  const current: Connection | undefined = state.connectionId ? connection.data : undefined;

  let body: React.ReactNode;
  if (providers.isLoading || (resuming && connection.isLoading)) {
    body = <PageSkeleton rows={2} />;
  } else if (providers.error) {
    body = <QueryError error={providers.error} onRetry={() => void providers.refetch()} />;
  } else if (resuming && connection.error) {
    body = (
      <Stack align="flex-start">
        <ProblemAlert error={connection.error} />
        <Button
          variant="default"
          onClick={() => {
            setResumeId(null);
            setParams({}, { replace: true });
          }}
        >
          {t('authorize.restart')}
        </Button>
      </Stack>
    );
  } else if (state.step === STEP.provider || !provider) {
    body = <ProviderStep providers={providers.data ?? []} selected={state.provider} onChoose={(id) => dispatch({ type: 'choose', provider: id })} />;
  } else if (state.step === STEP.authorize) {
    body = (
      <AuthorizeStep
        key={provider.id}
        provider={provider}
        pending={current && current.status === 'pending' ? current : null}
        onCreated={(created) => dispatch({ type: 'created', connectionId: created.id })}
        onAuthorized={(authorized) => dispatch({ type: 'authorized', connectionId: authorized.id })}
        onDiscarded={() => dispatch({ type: 'discard' })}
      />
    );
  } else if (!current) {
    body = connection.error ? <ProblemAlert error={connection.error} /> : <PageSkeleton rows={2} />;
  } else if (state.step === STEP.checks) {
    body = <ChecksStep connection={current} provider={provider} onContinue={() => dispatch({ type: 'checked' })} onDiscarded={() => dispatch({ type: 'discard' })} />;
  } else if (state.step === STEP.streams) {
    body = <StreamsStep connection={current} provider={provider} onStarted={(syncId) => dispatch({ type: 'syncStarted', syncId })} />;
  } else if (state.syncId) {
    body = <SyncStep connection={current} syncId={state.syncId} onRestarted={(syncId) => dispatch({ type: 'syncStarted', syncId })} />;
  }

  const stepLabel = labels[state.step]?.label ?? '';
  return (
    <Stack>
      <PageHeader
        title={t('wizard.title')}
        subtitle={t('wizard.subtitle')}
        actions={
          <Button component={Link} to="/connections" variant="subtle">
            {t('detail.back')}
          </Button>
        }
      />
      <Stepper
        steps={labels}
        active={state.step}
        reached={state.reached}
        canSelect={(index) => canSelect(state, index)}
        onSelect={(index) => dispatch({ type: 'goTo', step: index })}
      />
      <Paper withBorder p={{ base: 'md', sm: 'lg' }} radius="md" component="section" aria-labelledby="wizard-step-heading">
        <Stack gap="md">
          <Title order={2} size="h3" id="wizard-step-heading" ref={heading} tabIndex={-1} style={{ outlineOffset: 4 }}>
            {t('wizard.stepOf', { n: state.step + 1, total: STEPS.length })}: {stepLabel}
            {provider && state.step > STEP.provider ? ` · ${provider.name}` : ''}
          </Title>
          {body}
          {canSelect(state, state.step - 1) && (
            <Group>
              <Button variant="default" onClick={() => dispatch({ type: 'back' })}>
                {t('wizard.back')}
              </Button>
            </Group>
          )}
        </Stack>
      </Paper>
    </Stack>
  );
}
