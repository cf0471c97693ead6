/** Small building blocks every page uses: header, empty state, skeletons, dates. */
import { Box, Button, Group, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useEffect, type ReactNode } from 'react';

import { useI18n } from '../i18n';
import { dateTimeFormat } from '../i18n/formats';

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: string; actions?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Brain`;
  }, [title]);
  return (
    <Group justify="space-between" align="flex-end" mb="lg" wrap="wrap">
      <Box>
        <Title order={1} size="h2">
          {title}
        </Title>
        {subtitle && (
          <Text c="dimmed" size="sm" mt={4}>
            {subtitle}
          </Text>
        )}
      </Box>
      {actions}
    </Group>
  );
}

export function EmptyState({ title, children }: { title?: string; children: ReactNode }) {
  return (
    <Paper withBorder p="lg" radius="md" ta="center">
      <Stack gap="xs" align="center">
        {title && <Text fw={600}>{title}</Text>}
        <Text c="dimmed" size="sm" component="div">
          {children}
        </Text>
      </Stack>
    </Paper>
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-label={title}>
      <Title order={2} size="h4" mb="md">
        {title}
      </Title>
      {children}
    </Paper>
  );
}

/** Loading placeholder shaped like a page (title + blocks), announced to screen readers. */
export function PageSkeleton({ rows = 3 }: { rows?: number }) {
  const { t } = useI18n();
  return (
    <Stack gap="md" aria-busy="true" aria-label={t('app.loading')}>
      <Skeleton height={28} width="40%" />
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} height={72} />
      ))}
    </Stack>
  );
}

export function TableSkeleton({ rows = 4 }: { rows?: number }) {
  const { t } = useI18n();
  return (
    <Stack gap="xs" aria-busy="true" aria-label={t('app.loading')}>
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} height={32} />
      ))}
    </Stack>
  );
}

export function useFormatDate(): (iso: string | null | undefined) => string {
  const { locale, t } = useI18n();
  return (iso) => {
    if (!iso) return t('app.never');
    return dateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
  };
}

/** "Load more" under a cursor-paged list (a TanStack infinite query); nothing when the last
 * page is loaded. */
export function LoadMore({ query }: { query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown } }) {
  const { t } = useI18n();
  if (!query.hasNextPage) return null;
  return (
    <Button variant="default" onClick={() => void query.fetchNextPage()} loading={query.isFetchingNextPage} w="fit-content">
      {t('app.loadMore')}
    </Button>
  );
}
