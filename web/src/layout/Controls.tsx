/** Header controls shared by the app shell and the auth pages: language and color scheme. */
import { ActionIcon, Select, useComputedColorScheme, useMantineColorScheme } from '@mantine/core';

import { LOCALES, useI18n, type Locale } from '../i18n';

export function ColorSchemeToggle() {
  const { t } = useI18n();
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  return (
    <ActionIcon
      variant="default"
      size="lg"
      aria-label={t('shell.theme')}
      aria-pressed={scheme === 'dark'}
      onClick={() => setColorScheme(scheme === 'dark' ? 'light' : 'dark')}
    >
      <span aria-hidden="true">{scheme === 'dark' ? '☀' : '☾'}</span>
    </ActionIcon>
  );
}

export function LanguageSelect() {
  const { t, locale, setLocale } = useI18n();
  return (
    <Select
      aria-label={t('shell.language')}
      data={LOCALES}
      value={locale}
      onChange={(value) => value && setLocale(value as Locale)}
      allowDeselect={false}
      w={120}
      size="sm"
      comboboxProps={{ withinPortal: true }}
    />
  );
}
