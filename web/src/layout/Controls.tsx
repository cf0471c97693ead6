/** Header controls shared by the app shell and the auth pages: language and color scheme. */
import { ActionIcon, NativeSelect, useComputedColorScheme, useMantineColorScheme } from '@mantine/core';

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

/** The browser's own select: light to render (it is in the header of every page, twice in
 * the shell: header and phone menu), and the platform's picker on a phone. */
export function LanguageSelect() {
  const { t, locale, setLocale } = useI18n();
  return (
    <NativeSelect
      aria-label={t('shell.language')}
      data={LOCALES}
      value={locale}
      onChange={(event) => setLocale(event.currentTarget.value as Locale)}
      w={120}
      size="sm"
    />
  );
}
