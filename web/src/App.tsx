/** Providers (theme, i18n, queries, toasts) and the routes; every page is a lazy chunk. */
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter } from 'react-router-dom';

import { ApiError } from './api/problem';
import { ME_KEY } from './auth/session';
import { I18nProvider } from './i18n';
import { AppRoutes } from './routes';
import { cssVariablesResolver, theme } from './theme';

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
  return (
    <MantineProvider theme={theme} defaultColorScheme="auto" cssVariablesResolver={cssVariablesResolver}>
      <Notifications position="top-right" />
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
