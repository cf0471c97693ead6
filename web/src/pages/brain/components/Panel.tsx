/**
 * Building blocks of the brain pages: a section whose content has its own error boundary,
 * the error-with-retry alert, the "no run yet" empty state, and a chart with a text
 * alternative (a visually hidden table of the same numbers for screen readers).
 */
import { Button, Group, Paper, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { QueryErrorResetBoundary } from '@tanstack/react-query';
import { useId, type ReactNode } from 'react';

import { EmptyState } from '../../../components/common';
import { ErrorBoundary } from '../../../components/ErrorBoundary';
import { ProblemAlert } from '../../../components/ProblemAlert';
import { useT } from '../../../i18n';
import { DataGuard } from '../../../onboarding';
import { useBrainT } from '../i18n';
import { RunBrainButton } from './RunBrain';

/** A titled panel; a render error inside shows a retry instead of taking the page down. */
export function Panel({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const id = useId();
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby={id}>
      <Stack gap="md">
        <Group justify="space-between" align="baseline" gap="xs">
          <Title order={2} size="h4" id={id}>
            {title}
          </Title>
          {actions}
        </Group>
        <QueryErrorResetBoundary>{({ reset }) => <ErrorBoundary onReset={reset}>{children}</ErrorBoundary>}</QueryErrorResetBoundary>
      </Stack>
    </Paper>
  );
}

/** A failed query: the problem's title and detail, and a retry. */
export function QueryError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const t = useT();
  if (!error) return null;
  return (
    <Stack gap="xs" align="flex-start">
      <ProblemAlert error={error} />
      <Button size="xs" variant="light" onClick={onRetry}>
        {t('app.retry')}
      </Button>
    </Stack>
  );
}

/**
 * What to do when an answer needs a finished run: run the brain from here — or, while the
 * organization has no data yet, the next onboarding step (a run would have nothing to read).
 */
export function NeedsRun() {
  const t = useBrainT();
  return (
    <DataGuard>
      <EmptyState title={t('common.needsRun')}>
        <Stack align="center" gap="sm">
          <span>{t('common.needsRunBody')}</span>
          <RunBrainButton />
        </Stack>
      </EmptyState>
    </DataGuard>
  );
}

export interface ChartColumn {
  key: string;
  label: string;
  format?: (value: unknown) => string;
}

/**
 * A chart as a figure: the picture is hidden from assistive technology, which reads the
 * caption and a table with the same numbers instead.
 */
export function ChartFigure({
  caption,
  rows,
  columns,
  children,
}: {
  caption: string;
  rows: Record<string, unknown>[];
  columns: ChartColumn[];
  children: ReactNode;
}) {
  const t = useBrainT();
  return (
    <figure style={{ margin: 0 }}>
      <div aria-hidden="true">{children}</div>
      <VisuallyHidden>
        <Table>
          <caption>
            {t('common.chartTable')}: {caption}
          </caption>
          <thead>
            <tr>
              {columns.map((column) => (
                <th key={column.key} scope="col">
                  {column.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => (
              <tr key={index}>
                {columns.map((column) => (
                  <td key={column.key}>{column.format ? column.format(row[column.key]) : String(row[column.key] ?? '—')}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </Table>
      </VisuallyHidden>
      <figcaption>
        <Text size="xs" c="dimmed" mt={4}>
          {caption}
        </Text>
      </figcaption>
    </figure>
  );
}

/**
 * A wide table's horizontal scroller, reachable with the keyboard (focusable, named after
 * the table) so its hidden columns can be scrolled into view without a mouse.
 */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    // The browser's own scrolling (no scroll-area machinery in the dashboard's first chunk);
    // focusable and named, so a keyboard can scroll it and a screen reader can tell it apart.
    <div className="table-scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
