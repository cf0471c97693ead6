import { screen } from '@testing-library/react';

import { jsonResponse, problem, renderWithProviders } from '../test/render';
import { DataGuard } from './DataGuard';
import { onboarding, stubApi, WhenLoggedIn } from './testing';

afterEach(() => vi.unstubAllGlobals());

function renderGuarded() {
  return renderWithProviders(
    <WhenLoggedIn>
      <DataGuard>
        <p>the charts</p>
      </DataGuard>
    </WhenLoggedIn>,
  );
}

describe('DataGuard', () => {
  it('points a new organization to connecting data instead of empty charts', async () => {
    stubApi({ 'GET /onboarding': () => jsonResponse(200, onboarding(['verify_email'])) });
    renderGuarded();
    expect(await screen.findByText('No data yet')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Connect a platform' })).toHaveAttribute('href', '/connections/new');
    expect(screen.getByRole('link', { name: 'Upload a CSV' })).toHaveAttribute('href', '/import');
    expect(screen.queryByText('the charts')).toBeNull();
  });

  it('asks a viewer to get an admin to connect data', async () => {
    stubApi({ 'GET /onboarding': () => jsonResponse(200, onboarding(['verify_email'])) }, 'viewer');
    renderGuarded();
    expect(await screen.findByText('Ask an admin of your organization to connect a data source.')).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Connect a platform' })).toBeNull();
  });

  it('waits for the first sync once a source is connected', async () => {
    stubApi({ 'GET /onboarding': () => jsonResponse(200, onboarding(['verify_email', 'connect_data'])) });
    renderGuarded();
    expect(await screen.findByText('Waiting for the first sync')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'See connections' })).toHaveAttribute('href', '/connections');
  });

  it('renders the page once data has landed', async () => {
    stubApi({ 'GET /onboarding': () => jsonResponse(200, onboarding(['verify_email', 'connect_data', 'first_sync'])) });
    renderGuarded();
    expect(await screen.findByText('the charts')).toBeInTheDocument();
  });

  it('does not block the page when the checklist cannot be read', async () => {
    stubApi({ 'GET /onboarding': () => problem(403, 'forbidden', 'Forbidden', 'No.') });
    renderGuarded();
    expect(await screen.findByText('the charts')).toBeInTheDocument();
  });
});
