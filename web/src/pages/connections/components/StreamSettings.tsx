/** Streams on/off (with what each brings in) and the automatic sync schedule. */
import { Select, Stack, Switch, Text } from '@mantine/core';

import type { Connection, Provider } from '../api';
import { useConnT, type ConnKey } from '../i18n';

export const SCHEDULES = [60, 360, 720, 1440, 10080] as const;

export function StreamSwitches({
  connection,
  provider,
  value,
  onChange,
  error,
}: {
  connection: Connection;
  provider: Provider | undefined;
  value: Record<string, boolean>;
  onChange: (value: Record<string, boolean>) => void;
  error?: string;
}) {
  const t = useConnT();
  const describe = (name: string) => provider?.streams.find((s) => s.name === name)?.description || undefined;
  return (
    <Stack gap="xs" component="fieldset" m={0} p={0} style={{ border: 0 }}>
      <Text component="legend" fw={600} size="sm" mb={4}>
        {t('streams.caption')}
      </Text>
      {(connection.streams ?? []).map((stream) => (
        <Switch
          key={stream.name}
          label={stream.name}
          description={describe(stream.name)}
          checked={value[stream.name] ?? stream.enabled}
          onChange={(event) => onChange({ ...value, [stream.name]: event.currentTarget.checked })}
        />
      ))}
      {error && (
        <Text size="sm" c="var(--mantine-color-red-light-color)" role="alert">
          {error}
        </Text>
      )}
    </Stack>
  );
}

/** The streams as the switches show them (every stream of the connection, on or off). */
export function streamState(connection: Connection, changes: Record<string, boolean>): Record<string, boolean> {
  return Object.fromEntries((connection.streams ?? []).map((s) => [s.name, changes[s.name] ?? s.enabled]));
}

export function ScheduleSelect({ value, onChange }: { value: number | null; onChange: (value: number | null) => void }) {
  const t = useConnT();
  const options = [
    { value: 'off', label: t('streams.schedule.off') },
    ...SCHEDULES.map((minutes) => ({ value: String(minutes), label: t(`streams.schedule.${minutes}` as ConnKey) })),
  ];
  if (value !== null && !SCHEDULES.some((m) => m === value)) options.push({ value: String(value), label: t('streams.schedule.custom', { n: value }) });
  return (
    <Select
      label={t('streams.schedule')}
      data={options}
      value={value === null ? 'off' : String(value)}
      onChange={(next) => onChange(!next || next === 'off' ? null : Number(next))}
      allowDeselect={false}
      w={{ base: '100%', sm: 260 }}
    />
  );
}
