import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { useMutation, useQuery } from '@tanstack/react-query';

import { notifyError, notifySuccess } from '../lib/notify';
import { jsonResponse, problem, renderWithProviders } from '../test/render';
import { OnboardingPanel } from './Checklist';
import OnboardingHeaderProgress from './HeaderProgress';
import { LocationProbe, onboarding, ORG, stubApi, WhenLoggedIn } from './testing';

vi.mock('../lib/notify', () => ({ notifySuccess: vi.fn(), notifyError: vi.fn() }));

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(notifyError).mockClear();
  vi.mocked(notifySuccess).mockClear();
});

function renderPanel() {
  return renderWithProviders(
    <WhenLoggedIn>
      <OnboardingPanel />
      <LocationProbe />
    </WhenLoggedIn>,
  );
}

function stepItem(id: string): HTMLElement {
  return screen.getByTestId(`onboarding-step-${id}`);
}

describe('OnboardingPanel', () => {
  it('shows what is done, when, and what is next', async () => {
    stubApi({ 'GET /onboarding': () => jsonResponse(200, onboarding(['verify_email', 'connect_data'])) });
    renderPanel();
    const region = await screen.findByRole('region', { name: 'Get started' });
    expect(within(region).getByText('2 of 5 steps done')).toBeInTheDocument();
    // The bar is decorative: run progress bars stay the page's only ones.
    expect(within(region).queryByRole('progressbar')).toBeNull();
    expect(stepItem('verify_email')).toHaveAttribute('data-done', 'true');
    // The state is read out, not only shown by the tick.
    expect(stepItem('verify_email')).toHaveTextContent('Done: Verify your email');
    expect(stepItem('first_sync')).toHaveTextContent('To do: Finish the first sync');
    expect(within(stepItem('verify_email')).getByText(/Done Nov 20, 2026/)).toBeInTheDocument();
    // A done step has nothing left to click.
    expect(within(stepItem('connect_data')).queryByRole('link')).toBeNull();
    expect(stepItem('first_sync')).toHaveAttribute('data-done', 'false');
    expect(within(stepItem('first_sync')).getByText('Next')).toBeInTheDocument();
    expect(within(stepItem('first_brain_run')).queryByText('Next')).toBeNull();
  });

  it('deep-links each open step to where it is done', async () => {
    stubApi({ 'GET /onboarding': () => jsonResponse(200, onboarding(['verify_email'])) });
    renderPanel();
    await screen.findByRole('region', { name: 'Get started' });
    const link = (id: string, name: string) => within(stepItem(id)).getByRole('link', { name });
    expect(link('connect_data', 'Connect a platform')).toHaveAttribute('href', '/connections/new');
    expect(link('connect_data', 'Upload a CSV')).toHaveAttribute('href', '/import');
    expect(link('first_sync', 'See connections')).toHaveAttribute('href', '/connections');
    expect(link('first_brain_run', 'Go to the dashboard')).toHaveAttribute('href', '/');
    expect(link('invite_teammate', 'Invite people')).toHaveAttribute('href', '/settings/members');
    fireEvent.click(link('invite_teammate', 'Invite people'));
    expect(screen.getByTestId('location')).toHaveTextContent('/settings/members');
  });

  it('tells a viewer which steps an admin does', async () => {
    stubApi({ 'GET /onboarding': () => jsonResponse(200, onboarding(['verify_email'])) }, 'viewer');
    renderPanel();
    await screen.findByRole('region', { name: 'Get started' });
    expect(within(stepItem('connect_data')).queryByRole('link')).toBeNull();
    expect(within(stepItem('connect_data')).getByText('An admin of your organization does this step.')).toBeInTheDocument();
    expect(within(stepItem('first_sync')).getByRole('link', { name: 'See connections' })).toBeInTheDocument();
  });

  it('resends the verification email from the verify step', async () => {
    const calls = stubApi({
      'GET /onboarding': () => jsonResponse(200, onboarding([])),
      'POST /api/v1/auth/verify/resend': () => jsonResponse(202, { detail: 'sent' }),
    });
    renderPanel();
    await screen.findByRole('region', { name: 'Get started' });
    fireEvent.click(within(stepItem('verify_email')).getByRole('button', { name: 'Resend the email' }));
    await waitFor(() => expect(notifySuccess).toHaveBeenCalledWith('A new link is on its way.'));
    expect(calls.some((c) => c.method === 'POST' && c.url.endsWith('/api/v1/auth/verify/resend'))).toBe(true);
  });

  it('is hidden at once when dismissed, and the dismissal is sent', async () => {
    const calls = stubApi({
      'GET /onboarding': () => jsonResponse(200, onboarding(['verify_email'])),
      'POST /onboarding/dismiss': () => jsonResponse(200, onboarding(['verify_email'], { dismissed: true })),
    });
    renderPanel();
    const region = await screen.findByRole('region', { name: 'Get started' });
    fireEvent.click(within(region).getByRole('button', { name: 'Hide the checklist' }));
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Get started' })).toBeNull());
    expect(calls.filter((c) => c.method === 'POST' && c.url.endsWith('/onboarding/dismiss'))).toHaveLength(1);
    expect(notifySuccess).toHaveBeenCalledWith('Checklist hidden. Everything stays where it is.');
  });

  it('comes back with the problem when the dismissal fails', async () => {
    stubApi({
      'GET /onboarding': () => jsonResponse(200, onboarding(['verify_email'])),
      'POST /onboarding/dismiss': () => problem(403, 'forbidden', 'Forbidden', 'Only a member can do this.'),
    });
    renderPanel();
    const region = await screen.findByRole('region', { name: 'Get started' });
    fireEvent.click(within(region).getByRole('button', { name: 'Hide the checklist' }));
    await waitFor(() => expect(notifyError).toHaveBeenCalled());
    expect(await screen.findByRole('region', { name: 'Get started' })).toBeInTheDocument();
  });

  it('shows nothing once every step is done, or for a member the API refuses', async () => {
    stubApi({ 'GET /onboarding': () => jsonResponse(200, onboarding(['verify_email', 'connect_data', 'first_sync', 'first_brain_run', 'invite_teammate'])) });
    const { unmount } = renderPanel();
    await screen.findByTestId('location');
    await waitFor(() => expect(screen.queryByTestId('onboarding-checklist')).toBeNull());
    unmount();
    vi.unstubAllGlobals();
    stubApi({ 'GET /onboarding': () => problem(403, 'forbidden', 'Forbidden', 'No.') });
    renderPanel();
    await screen.findByTestId('location');
    expect(screen.queryByTestId('onboarding-checklist')).toBeNull();
  });
});

describe('the header progress', () => {
  function renderHeader() {
    return renderWithProviders(
      <WhenLoggedIn>
        <OnboardingHeaderProgress />
        <LocationProbe />
      </WhenLoggedIn>,
    );
  }

  it('shows "n of 5" and opens the checklist in a dialog; a link closes it', async () => {
    stubApi({ 'GET /onboarding': () => jsonResponse(200, onboarding(['verify_email', 'connect_data', 'first_sync'])) });
    renderHeader();
    const button = await screen.findByRole('button', { name: 'Get started 3 of 5' });
    expect(button).toHaveTextContent('3 of 5');
    fireEvent.click(button);
    const dialog = await screen.findByRole('dialog', { name: 'Get started' });
    fireEvent.click(within(dialog).getByRole('link', { name: 'Go to the dashboard' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('is gone when the checklist is dismissed', async () => {
    stubApi({ 'GET /onboarding': () => jsonResponse(200, onboarding(['verify_email'], { dismissed: true })) });
    renderHeader();
    await screen.findByTestId('location');
    await waitFor(() => expect(screen.queryByTestId('onboarding-progress-button')).toBeNull());
  });
});

describe('the pages follow the checklist', () => {
  /** A brain answer cached while the organization was empty, and a mutation to click. */
  function Probe({ onFetch }: { onFetch: () => void }) {
    const face = useQuery({
      queryKey: ['brain', ORG, 'face', 'cmo', '7d'],
      queryFn: () => {
        onFetch();
        return 'face';
      },
      staleTime: Infinity,
    });
    const something = useMutation({ mutationFn: async () => 'done' });
    return (
      <>
        <output data-testid="face">{face.data}</output>
        <button type="button" onClick={() => something.mutate()}>
          do something
        </button>
      </>
    );
  }

  it('refetches the brain answers once a run has succeeded, and not before', async () => {
    let current = onboarding(['verify_email', 'connect_data', 'first_sync']);
    const calls = stubApi({ 'GET /onboarding': () => jsonResponse(200, current) });
    const checklistReads = () => calls.filter((c) => c.url.endsWith('/onboarding')).length;
    const fetched = vi.fn();
    renderWithProviders(
      <WhenLoggedIn>
        <OnboardingHeaderProgress />
        <Probe onFetch={fetched} />
      </WhenLoggedIn>,
    );
    await screen.findByRole('button', { name: 'Get started 3 of 5' });
    await waitFor(() => expect(fetched).toHaveBeenCalledTimes(1));
    // A mutation refreshes the checklist; nothing changed: the answers stay.
    const reads = checklistReads();
    fireEvent.click(screen.getByRole('button', { name: 'do something' }));
    await waitFor(() => expect(checklistReads()).toBeGreaterThan(reads));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fetched).toHaveBeenCalledTimes(1);
    // The run the sync asked for succeeded in the background.
    current = onboarding(['verify_email', 'connect_data', 'first_sync', 'first_brain_run']);
    fireEvent.click(screen.getByRole('button', { name: 'do something' }));
    await screen.findByRole('button', { name: 'Get started 4 of 5' });
    await waitFor(() => expect(fetched).toHaveBeenCalledTimes(2));
  });
});
