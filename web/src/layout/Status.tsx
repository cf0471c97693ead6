import { Anchor, Stack, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { Link } from 'react-router-dom';

import { useT } from '../i18n';

export function NotFound() {
  const t = useT();
  useEffect(() => {
    document.title = `${t('app.notFound')} · Brain`;
  }, [t]);
  return (
    <Stack gap="sm">
      <Title order={1} size="h2">
        {t('app.notFound')}
      </Title>
      <Text>{t('app.notFoundBody')}</Text>
      <Anchor component={Link} to="/">
        {t('app.goHome')}
      </Anchor>
    </Stack>
  );
}

export function NoPermission() {
  const t = useT();
  return (
    <Stack gap="sm">
      <Title order={1} size="h2">
        {t('app.forbidden')}
      </Title>
      <Anchor component={Link} to="/">
        {t('app.goHome')}
      </Anchor>
    </Stack>
  );
}
