/** The event types as checkboxes (each with what it means), with select-all and clear. */
import { Button, Checkbox, Group, Stack, Text } from '@mantine/core';

import type { EventType } from '../api';
import { EVENT_TYPES } from '../events';
import { useHookT, type HookKey } from '../i18n';

export function EventPicker({ value, onChange, error }: { value: EventType[]; onChange: (value: EventType[]) => void; error?: string }) {
  const t = useHookT();
  return (
    <Checkbox.Group
      label={t('create.events')}
      value={value}
      onChange={(next) => onChange(EVENT_TYPES.filter((e) => next.includes(e)))}
      error={error}
      required
    >
      <Stack gap={6} mt="xs">
        <Group gap="xs">
          <Button size="compact-xs" variant="subtle" onClick={() => onChange([...EVENT_TYPES])}>
            {t('create.all')}
          </Button>
          <Button size="compact-xs" variant="subtle" onClick={() => onChange([])}>
            {t('create.none')}
          </Button>
        </Group>
        {EVENT_TYPES.map((event) => (
          <Checkbox
            key={event}
            value={event}
            label={
              <Text size="sm" component="span">
                <code>{event}</code> — {t(`event.${event}` as HookKey)}
              </Text>
            }
          />
        ))}
      </Stack>
    </Checkbox.Group>
  );
}
