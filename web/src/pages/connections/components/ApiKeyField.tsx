/** The API key field of the connect wizard and of re-authorizing a key connection. */
import { PasswordInput } from '@mantine/core';

import { useConnT } from '../i18n';

export function ApiKeyField({
  value,
  onChange,
  error,
  autoFocus = false,
}: {
  value: string;
  onChange: (value: string) => void;
  error?: string;
  autoFocus?: boolean;
}) {
  const t = useConnT();
  return (
    <PasswordInput
      label={t('authorize.apiKey')}
      description={t('authorize.apiKeyHint')}
      required
      value={value}
      onChange={(event) => onChange(event.currentTarget.value)}
      error={error}
      autoComplete="off"
      data-autofocus={autoFocus || undefined}
    />
  );
}
