/** The frame of the logged-out pages: a centred card, language and theme controls. */
import { Anchor, Box, Container, Group, Paper } from '@mantine/core';
import { Outlet, Link } from 'react-router-dom';

import { ErrorBoundary } from '../components/ErrorBoundary';
import { useT } from '../i18n';
import { ColorSchemeToggle, LanguageSelect } from './Controls';
import { useRouteFocus } from './RouteFocus';

export function AuthLayout() {
  const t = useT();
  useRouteFocus();
  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <Box component="header" px="md" py="sm">
        <Group justify="space-between">
          <Anchor component={Link} to="/" fw={700} size="lg" underline="never">
            {t('app.name')}
          </Anchor>
          <Group gap="xs">
            <LanguageSelect />
            <ColorSchemeToggle />
          </Group>
        </Group>
      </Box>
      <Container size={460} component="main" id="main" tabIndex={-1} py="xl">
        <Paper withBorder shadow="sm" p={{ base: 'md', xs: 'xl' }} radius="md">
          <ErrorBoundary>
            <Outlet />
          </ErrorBoundary>
        </Paper>
      </Container>
    </>
  );
}
