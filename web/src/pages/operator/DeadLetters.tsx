/**
 * Operator console, dead letters: webhook messages (received from providers or delivered to
 * tenants' endpoints) that exhausted their retries, across every tenant, newest first; by
 * direction and replay state; each one can be replayed with a fresh retry schedule (the
 * shared dead-letter table, with the tenant and direction columns).
 */
import { Group, SegmentedControl, Stack } from '@mantine/core';
import { useState } from 'react';

import { PageHeader } from '../../components/common';
import { DeadLetters as DeadLetterTable } from '../../components/DeadLetters';
import { NoPermission } from '../../layout/Status';
import { useDeadLetters, useReplayDeadLetter, useTenants } from './api';
import { forbidden, OperatorOnly } from './components';
import { useOperatorT } from './i18n';

type Direction = 'all' | 'inbound' | 'outbound';
type Replayed = 'all' | 'waiting' | 'replayed';

function DeadLettersPage() {
  const t = useOperatorT();
  const [direction, setDirection] = useState<Direction>('all');
  const [replayed, setReplayed] = useState<Replayed>('waiting');
  const letters = useDeadLetters({
    direction: direction === 'all' ? undefined : direction,
    replayed: replayed === 'all' ? undefined : replayed === 'replayed',
  });
  // Tenant names for the organization ids (the first page of tenants: the common case).
  const tenants = useTenants({});
  const names = new Map((tenants.data?.pages.flatMap((p) => p.data) ?? []).map((tenant) => [tenant.id, tenant.name]));
  const replay = useReplayDeadLetter();
  if (forbidden(letters.error)) return <NoPermission />;
  return (
    <Stack>
      <PageHeader title={t('dead.title')} subtitle={t('dead.subtitle')} />
      <Group gap="md" wrap="wrap">
        <SegmentedControl
          aria-label={t('dead.direction')}
          value={direction}
          onChange={(value) => setDirection(value as Direction)}
          data={[
            { value: 'all', label: t('dead.all') },
            { value: 'inbound', label: t('dead.inbound') },
            { value: 'outbound', label: t('dead.outbound') },
          ]}
        />
        <SegmentedControl
          aria-label={t('dead.status')}
          value={replayed}
          onChange={(value) => setReplayed(value as Replayed)}
          data={[
            { value: 'waiting', label: t('dead.notReplayed') },
            { value: 'replayed', label: t('dead.replayed') },
            { value: 'all', label: t('dead.all') },
          ]}
        />
      </Group>
      <DeadLetterTable
        query={letters}
        replay={replay}
        tenant={(letter) => ({ name: names.get(letter.organization_id) ?? letter.organization_id, href: `/operator/tenants/${letter.organization_id}` })}
        showDirection
        testId="dead-letters-table"
        skeletonRows={5}
      />
    </Stack>
  );
}

export default function DeadLetters() {
  return (
    <OperatorOnly>
      <DeadLettersPage />
    </OperatorOnly>
  );
}
