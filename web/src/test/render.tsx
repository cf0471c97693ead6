/** Rendering a component with the app's providers (English, a fresh query client, a router). */
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router-dom';

import { I18nProvider } from '../i18n';
import { theme } from '../theme';

export function renderWithProviders(ui: ReactElement, { route = '/' }: { route?: string } = {}): RenderResult {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(
    <MantineProvider theme={theme}>
      <I18nProvider locale="en">
        <QueryClientProvider client={client}>
          <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
        </QueryClientProvider>
      </I18nProvider>
    </MantineProvider>,
  );
}

export function jsonResponse(status: number, body: unknown, contentType = 'application/json'): Response {
  return new Response(body === null ? null : JSON.stringify(body), { status, headers: { 'Content-Type': contentType } });
}

export function problem(status: number, kind: string, title: string, detail: string, extra: Record<string, unknown> = {}): Response {
  return jsonResponse(status, { type: `/api/v1/problems/${kind}`, title, status, detail, instance: '/x', ...extra }, 'application/problem+json');
}
