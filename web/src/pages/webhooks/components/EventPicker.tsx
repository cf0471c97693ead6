/**
 * The event types as checkboxes, loaded from the API (each with what it means as its help
 * text), with select-all and clear. Only types the client knows are offered (the request
 * body is typed by them); the list keeps its height while it loads.
 */
import { Button, Checkbox, Group, Skeleton, Stack, Text } from '@mantine/core';
import { useId } from 'react';

import { useI18n } from '../../../i18n';
import { QueryError } from '../../brain/components/Panel';
import { useEventTypes, type EventType } from '../api';
import { eventHelp, EVENT_TYPES, isEventType } from '../events';
import { hookLabel, useHookT } from '../i18n';

export function EventPicker({ value, onChange, error }: { value: EventType[]; onChange: (value: EventType[]) => void; error?: string }) {
  const t = useHookT();
  const { locale, t: appT } = useI18n();
  const types = useEventTypes();
  const offered = (types.data ?? []).filter((e): e is { type: EventType; description: string } => isEventType(e.type));
  const order = offered.map((e) => e.type);
  return (
    <Checkbox.Group
      label={t('create.events')}
      value={value}
      onChange={(next) => onChange(order.filter((e) => next.includes(e)))}
      error={error}
      required
    >
      <Stack gap={6} mt="xs">
        <Group gap="xs">
          <Button size="compact-xs" variant="subtle" onClick={() => onChange([...order])} disabled={order.length === 0}>
            {t('create.all')}
          </Button>
          <Button size="compact-xs" variant="subtle" onClick={() => onChange([])}>
            {t('create.none')}
          </Button>
        </Group>
        {types.isLoading && (
          <Stack gap={6} aria-busy="true" aria-label={appT('app.loading')} data-testid="event-types-loading">
            {EVENT_TYPES.map((type) => (
              <Skeleton key={type} height={38} />
            ))}
          </Stack>
        )}
        {types.error && <QueryError error={types.error} onRetry={() => void types.refetch()} />}
        {offered.map((event) => (
          <EventCheckbox key={event.type} type={event.type} label={hookLabel(t, 'event', event.type)} help={eventHelp(locale, event.type, event.description)} />
        ))}
      </Stack>
    </Checkbox.Group>
  );
}

/** One event type; its help text is the checkbox's description for assistive technology too. */
function EventCheckbox({ type, label, help }: { type: EventType; label: string; help: string }) {
  const helpId = useId();
  return (
    <Checkbox
      value={type}
      label={
        <Text size="sm" component="span">
          <code>{type}</code> — {label}
        </Text>
      }
      description={<span id={helpId}>{help}</span>}
      aria-describedby={helpId}
    />
  );
}
