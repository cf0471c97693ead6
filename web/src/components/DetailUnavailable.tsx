/**
 * What a detail page shows when its object could not be loaded: "not found" with a link back
 * to the list when the API answered 404 (another tenant's id looks the same), else the error
 * with a retry.
 */
import { Anchor, Stack } from '@mantine/core';
import { Link } from 'react-router-dom';

import { ApiError } from '../api/problem';
import { QueryError } from '../pages/brain/components/Panel';
import { EmptyState, PageHeader } from './common';

interface Props {
  title: string;
  error: unknown;
  onRetry: () => void;
  notFound: string;
  backTo: string;
  backLabel: string;
}

export function DetailUnavailable({ title, error, onRetry, notFound, backTo, backLabel }: Props) {
  const missing = error instanceof ApiError && error.status === 404;
  return (
    <Stack>
      <PageHeader title={title} />
      {missing ? (
        <EmptyState>
          <Stack align="center" gap="xs">
            <span>{notFound}</span>
            <Anchor component={Link} to={backTo}>
              {backLabel}
            </Anchor>
          </Stack>
        </EmptyState>
      ) : (
        <QueryError error={error} onRetry={onRetry} />
      )}
    </Stack>
  );
}
