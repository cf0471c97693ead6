/** Providers (theme, i18n, queries, toasts) and the routes; every page is a lazy chunk. */
import { MantineProvider } from '@mantine/core';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { BrowserRouter } from 'react-router-dom';

import { ApiError } from './api/problem';
import { ME_KEY } from './auth/session';
import { I18nProvider } from './i18n';
import { AppRoutes } from './routes';
import { useIdle } from './lib/idle';
import { useFirstRenderCommitted } from './lib/paint';
import { cssVariablesResolver, theme } from './theme';

// The toasts' container (and its transitions) is its own chunk, mounted once the first page's
// work is done: a toast asked for before that waits in the store and shows when it mounts.
const Notifications = lazy(() => import('@mantine/notifications').then((module) => ({ default: module.Notifications })));

function Toasts() {
  if (!useIdle()) return null;
  return (
    <Suspense fallback={null}>
      <Notifications position="top-right" />
    </Suspense>
  );
}

export function makeQueryClient(): QueryClient {
  // A 401 anywhere means the session ended (logout elsewhere, revoked, timed out): forget the
  // user, and the route guard sends them to the login page (and back here afterwards).
  const onError = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401 && client.getQueryData(ME_KEY)) {
      client.setQueryData(ME_KEY, null);
    }
  };
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        // A 4xx will not get better by retrying; a network blip or a 5xx may.
        retry: (count, error) =>
          count < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
        refetchOnWindowFocus: false,
      },
    },
  });
  return client;
}

export const queryClient = makeQueryClient();

export function App() {
  // What waits for the first frame to be painted (see lib/paint) starts after this render.
  useFirstRenderCommitted();
  return (
    <MantineProvider theme={theme} defaultColorScheme="auto" cssVariablesResolver={cssVariablesResolver}>
      <Toasts />
      <I18nProvider>
        <QueryClientProvider client={queryClient}>
          <BrowserRouter>
            <AppRoutes />
          </BrowserRouter>
        </QueryClientProvider>
      </I18nProvider>
    </MantineProvider>
  );
}
