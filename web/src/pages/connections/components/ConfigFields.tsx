/** The inputs for a provider's account details (from its `config_schema`, see config.ts). */
import { Checkbox, Stack, TextInput } from '@mantine/core';

import type { ConfigError, ConfigField, ConfigValues } from '../config';
import { useConnT, type ConnKey } from '../i18n';

const ERROR_KEY: Record<ConfigError, ConnKey> = { required: 'config.required', pattern: 'config.pattern', number: 'config.number' };

/** `ad_account_ids` → `Ad account ids` (the schema has no titles, only names). */
export function humanize(name: string): string {
  const words = name
    .replace(/_/g, ' ')
    .trim()
    .replace(/\bids\b/g, 'IDs')
    .replace(/\b(id|url|api)\b/g, (m) => m.toUpperCase());
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function ConfigFields({
  fields,
  values,
  errors,
  apiErrors = {},
  onChange,
}: {
  fields: ConfigField[];
  values: ConfigValues;
  errors: Partial<Record<string, ConfigError>>;
  /** Messages the API returned for fields (`config.<name>`). */
  apiErrors?: Partial<Record<string, string>>;
  onChange: (values: ConfigValues) => void;
}) {
  const t = useConnT();
  if (fields.length === 0) return null;
  return (
    <Stack gap="sm">
      {fields.map((field) => {
        const error = errors[field.name];
        const message = error ? t(ERROR_KEY[error]) : apiErrors[field.name];
        if (field.kind === 'boolean') {
          return (
            <Checkbox
              key={field.name}
              label={humanize(field.name)}
              description={field.description}
              checked={values[field.name] === true}
              onChange={(event) => onChange({ ...values, [field.name]: event.currentTarget.checked })}
              error={message}
            />
          );
        }
        const description = [field.description, field.kind === 'list' ? t('config.listHint') : null].filter(Boolean).join(' ');
        return (
          <TextInput
            key={field.name}
            label={humanize(field.name)}
            description={description || undefined}
            required={field.required}
            inputMode={field.kind === 'number' ? 'decimal' : undefined}
            value={typeof values[field.name] === 'string' ? (values[field.name] as string) : ''}
            onChange={(event) => onChange({ ...values, [field.name]: event.currentTarget.value })}
            error={message}
            autoComplete="off"
            spellCheck={false}
          />
        );
      })}
    </Stack>
  );
}
