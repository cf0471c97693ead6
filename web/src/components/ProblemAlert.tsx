/** An API error as a readable alert: the problem's title and detail, and its field errors. */
import { Alert, List } from '@mantine/core';

import { ApiError } from '../api/problem';
import { useT } from '../i18n';

export function describeError(error: unknown, fallback: string): { title: string; detail: string } {
  if (error instanceof ApiError) {
    if (error.status === 0) return { title: error.problem.title, detail: '' };
    return { title: error.problem.title, detail: error.problem.detail };
  }
  return { title: fallback, detail: '' };
}

export function ProblemAlert({ error }: { error: unknown }) {
  const t = useT();
  if (!error) return null;
  const network = error instanceof ApiError && error.status === 0;
  const { title, detail } = describeError(error, t('app.errorTitle'));
  const fields = error instanceof ApiError ? (error.problem.errors ?? []) : [];
  return (
    <Alert color="red" title={title} role="alert" variant="light">
      {network ? t('app.networkError') : detail}
      {fields.length > 0 && (
        <List size="sm" mt="xs">
          {fields.map((field, index) => (
            <List.Item key={index}>
              {field.loc.filter((part) => part !== 'body').join('.')}: {field.message}
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}

/** A field's message from an ApiError (for the `error` prop of an input). */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.fieldError(field) : undefined;
}
