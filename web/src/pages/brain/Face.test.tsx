import { rem } from '@mantine/core';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';

import { notifyError, notifySuccess } from '../../lib/notify';
import { jsonResponse, problem, renderWithProviders } from '../../test/render';
import { onboarding } from '../../onboarding/testing';
import { RUN_LINE_HEIGHT } from './components/RunBrain';
import Face from './Face';
import { FACE_HEIGHTS } from './face/skeleton';
import { deferred, faceSummary, LocationProbe, stubApi, WhenLoggedIn } from './testing/harness';

vi.mock('../../lib/notify', () => ({ notifySuccess: vi.fn(), notifyError: vi.fn(), notifyFailure: vi.fn() }));

const EMPTY_PAGE = { data: [], has_more: false, next_cursor: null };
const EMPTY_SERIES = { date_from: null, date_to: null, channels: [], data: [] };

function baseRoutes(face: (request: Request) => Response | Promise<Response> = () => jsonResponse(200, faceSummary())) {
  return {
    'GET /face': face,
    'GET /brain/runs': () => jsonResponse(200, EMPTY_PAGE),
    'GET /metrics/series': () => jsonResponse(200, EMPTY_SERIES),
    'GET /oracle/creatives': () => problem(409, 'conflict', 'Conflict', 'No brain run has succeeded yet.'),
  };
}

function renderFace(route = '/face') {
  return renderWithProviders(
    <WhenLoggedIn>
      <Face />
      <LocationProbe />
    </WhenLoggedIn>,
    { route },
  );
}

function faceQueries(calls: Request[]): string[] {
  return calls.filter((c) => new URL(c.url).pathname.endsWith('/face')).map((c) => new URL(c.url).search);
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(notifyError).mockClear();
  vi.mocked(notifySuccess).mockClear();
});

describe('FACE persona and period in the URL', () => {
  it('reads them from the query string and writes the choice back', async () => {
    const calls = stubApi(baseRoutes());
    renderFace('/face?persona=director&period=28d');
    expect(await screen.findByText('TikTok is decaying.')).toBeInTheDocument();
    expect(faceQueries(calls)[0]).toBe('?persona=director&period=28d');
    expect(screen.getByRole('radio', { name: 'Director' })).toBeChecked();
    expect(screen.getByRole('radio', { name: '28 days' })).toBeChecked();

    fireEvent.click(screen.getByRole('radio', { name: 'VP Growth' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/face?persona=vp_growth&period=28d'));
    await waitFor(() => expect(faceQueries(calls)).toContain('?persona=vp_growth&period=28d'));

    fireEvent.click(screen.getByRole('radio', { name: '90 days' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('period=90d'));
    await waitFor(() => expect(faceQueries(calls)).toContain('?persona=vp_growth&period=90d'));
  });

  it('falls back to the CMO and 7 days for unknown values', async () => {
    const calls = stubApi(baseRoutes());
    renderFace('/face?persona=ceo&period=1y');
    await screen.findByText('TikTok is decaying.');
    expect(faceQueries(calls)[0]).toBe('?persona=cmo&period=7d');
    expect(screen.getByRole('radio', { name: 'CMO' })).toBeChecked();
  });
});

describe('FACE', () => {
  it('shows the KPI deltas, the narrative and exactly three actions', async () => {
    stubApi(baseRoutes());
    renderFace();
    expect(await screen.findByText('Move budget to Meta.')).toBeInTheDocument();
    const kpis = screen.getByRole('list', { name: 'Key figures' });
    expect(within(kpis).getByText(/\+6\.9% vs previous period/)).toBeInTheDocument();
    expect(within(kpis).getByText('worse than last run')).toBeInTheDocument();
    expect(screen.getAllByRole('button', { name: /^Accept:/ })).toHaveLength(3);
  });

  it('says what to do when no run exists yet', async () => {
    stubApi(baseRoutes(() => jsonResponse(200, faceSummary({ state: 'empty', explanation: 'No brain run has succeeded yet.', actions: [], kpis: [] }))));
    renderFace();
    expect(await screen.findByText('No brain run yet')).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: 'Run the brain now' })).toBeInTheDocument();
  });
});

describe('deciding an action', () => {
  it('shows the acceptance at once, before the API answers', async () => {
    const answer = deferred<Response>();
    const calls = stubApi({ ...baseRoutes(), 'POST /actions/a1/accept': () => answer.promise });
    renderFace();
    fireEvent.click(await screen.findByRole('button', { name: 'Accept: Shift budget Meta' }));
    const card = screen.getByRole('article', { name: 'Shift budget: Meta' });
    expect(await within(card).findByText('Accepted')).toBeInTheDocument();
    expect(within(card).queryByRole('button', { name: /Accept/ })).toBeNull();
    answer.resolve(jsonResponse(200, { ...faceSummary().actions[0], status: 'accepted' }));
    await waitFor(() => expect(notifySuccess).toHaveBeenCalledWith('Accepted: Meta'));
    expect(calls.some((c) => c.method === 'POST' && c.url.endsWith('/actions/a1/accept'))).toBe(true);
  });

  it('rolls back and tells the user when the API refuses', async () => {
    const answer = deferred<Response>();
    stubApi({ ...baseRoutes(), 'POST /actions/a1/accept': () => answer.promise });
    renderFace();
    fireEvent.click(await screen.findByRole('button', { name: 'Accept: Shift budget Meta' }));
    const card = screen.getByRole('article', { name: 'Shift budget: Meta' });
    expect(await within(card).findByText('Accepted')).toBeInTheDocument();
    answer.resolve(problem(409, 'conflict', 'Conflict', 'This action was already decided.'));
    expect(await within(card).findByRole('button', { name: 'Accept: Shift budget Meta' })).toBeInTheDocument();
    expect(within(card).queryByText('Accepted')).toBeNull();
    await waitFor(() => expect(notifyError).toHaveBeenCalledTimes(1));
  });

  it('asks for a reason in a dialog and sends it with the rejection', async () => {
    const calls = stubApi({
      ...baseRoutes(),
      'POST /actions/a2/reject': () => jsonResponse(200, { ...faceSummary().actions[1], status: 'rejected' }),
    });
    renderFace();
    fireEvent.click(await screen.findByRole('button', { name: 'Reject: Refresh creative C12' }));
    const dialog = await screen.findByRole('dialog', { name: 'Reject this action?' });
    const reason = within(dialog).getByLabelText(/Reason/);
    await waitFor(() => expect(reason).toHaveFocus());
    fireEvent.change(reason, { target: { value: 'A new C12 is already in production.' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reject action' }));
    await waitFor(() => expect(notifySuccess).toHaveBeenCalledWith('Rejected: C12'));
    const sent = calls.find((c) => c.method === 'POST' && c.url.endsWith('/actions/a2/reject'));
    expect(await sent?.json()).toEqual({ reason: 'A new C12 is already in production.' });
  });

  it('hides the decision buttons from a viewer', async () => {
    stubApi(baseRoutes(), 'viewer');
    renderFace();
    await screen.findByText('Move budget to Meta.');
    expect(screen.queryByRole('button', { name: /^Accept:/ })).toBeNull();
  });
});

describe('FACE without layout shifts', () => {
  it('shows one skeleton until the summary and the checklist are both known, then both at once', async () => {
    const checklist = deferred<Response>();
    stubApi({ ...baseRoutes(), 'GET /onboarding': () => checklist.promise });
    renderFace();
    // The summary is in, the checklist (shown above it) is not: still the skeleton only.
    await waitFor(() => expect(screen.getByTestId('face-skeleton')).toBeInTheDocument());
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.queryByRole('list', { name: 'Key figures' })).toBeNull();
    checklist.resolve(jsonResponse(200, onboarding(['verify_email'])));
    expect(await screen.findByRole('list', { name: 'Key figures' })).toBeInTheDocument();
    expect(screen.getByTestId('onboarding-checklist')).toBeInTheDocument();
    expect(screen.queryByTestId('face-skeleton')).toBeNull();
  });

  it('keeps the checklist in place while another persona loads', async () => {
    const next = deferred<Response>();
    stubApi({
      ...baseRoutes((request) => (new URL(request.url).searchParams.get('persona') === 'director' ? next.promise : jsonResponse(200, faceSummary()))),
      'GET /onboarding': () => jsonResponse(200, onboarding(['verify_email'])),
    });
    renderFace();
    await screen.findByRole('list', { name: 'Key figures' });
    const panel = screen.getByTestId('onboarding-checklist');
    fireEvent.click(screen.getByRole('radio', { name: 'Director' }));
    expect(await screen.findByTestId('face-skeleton')).toBeInTheDocument();
    expect(screen.getByTestId('onboarding-checklist')).toBe(panel);
    next.resolve(jsonResponse(200, faceSummary({ persona: 'director' })));
    await waitFor(() => expect(screen.queryByTestId('face-skeleton')).toBeNull());
  });

  it('keeps each chart panel at the chart’s height while its data loads', async () => {
    const daily = deferred<void>();
    stubApi({ ...baseRoutes(), 'GET /metrics/series': () => daily.promise.then(() => jsonResponse(200, EMPTY_SERIES)) });
    renderFace();
    const panel = await screen.findByRole('region', { name: 'Spend by channel' });
    const slot = within(panel).getByLabelText('Loading…').parentElement;
    expect(slot?.style.minHeight).toBe(rem(FACE_HEIGHTS.areaChart + FACE_HEIGHTS.caption));
    daily.resolve();
    expect(await within(panel).findByText('No daily metrics for this period.')).toBeInTheDocument();
    expect(within(panel).getByText('No daily metrics for this period.').parentElement).toBe(slot);
  });

  it('keeps a line for the run’s progress under the freshness date, empty while no run is going', async () => {
    stubApi(baseRoutes());
    renderFace();
    const line = await screen.findByTestId('run-line');
    expect(line).toBeEmptyDOMElement();
    expect(line.style.height).toBe(rem(RUN_LINE_HEIGHT));
  });
});
