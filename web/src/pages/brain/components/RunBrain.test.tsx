import { fireEvent, screen, waitFor, within } from '@testing-library/react';

import { notifyFailure, notifySuccess } from '../../../lib/notify';
import { jsonResponse, problem, renderWithProviders } from '../../../test/render';
import { useFace } from '../api';
import { faceSummary, run, stubApi, WhenLoggedIn } from '../testing/harness';
import { RunBrainButton, RunBrainInline, runSummary } from './RunBrain';

vi.mock('../../../lib/notify', () => ({ notifySuccess: vi.fn(), notifyError: vi.fn(), notifyFailure: vi.fn() }));

const EMPTY_PAGE = { data: [], has_more: false, next_cursor: null };

function FaceProbe() {
  const face = useFace('cmo', '7d');
  return <output data-testid="face">{face.data?.state ?? 'none'}</output>;
}

function countFace(calls: Request[]): number {
  return calls.filter((c) => new URL(c.url).pathname.endsWith('/face')).length;
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(notifySuccess).mockClear();
  vi.mocked(notifyFailure).mockClear();
});

describe('Run the brain now', () => {
  it('starts a run, shows each module’s progress while polling, then refreshes FACE', async () => {
    const states = [
      run('running', { features: { status: 'succeeded', progress: 1, seconds: 1.2, notes: [] }, memory: { status: 'running', progress: 0.5, notes: [] }, oracle: { status: 'pending', progress: 0, notes: [] } }),
      run('succeeded', { features: { status: 'succeeded', progress: 1, seconds: 1.2, notes: [] }, memory: { status: 'succeeded', progress: 1, seconds: 8, notes: [] }, oracle: { status: 'succeeded', progress: 1, seconds: 3, notes: [] } }),
    ];
    let polls = 0;
    const calls = stubApi({
      'GET /brain/runs': () => jsonResponse(200, EMPTY_PAGE),
      'POST /brain/runs': () => jsonResponse(202, { id: 'run-1', status: 'queued' }),
      'GET /brain/runs/run-1': () => jsonResponse(200, states[Math.min(polls++, states.length - 1)]),
      'GET /face': () => jsonResponse(200, faceSummary()),
    });
    renderWithProviders(
      <WhenLoggedIn>
        <RunBrainButton />
        <FaceProbe />
      </WhenLoggedIn>,
    );
    await waitFor(() => expect(screen.getByTestId('face')).toHaveTextContent('ready'));
    const before = countFace(calls);
    fireEvent.click(await screen.findByRole('button', { name: 'Run the brain now' }));
    // The first poll: per-module bars, labelled with module and status, in pipeline order.
    const memory = await screen.findByRole('progressbar', { name: 'memory: Running' });
    expect(memory).toHaveAttribute('aria-valuenow', '50');
    const bars = screen.getAllByRole('progressbar').map((bar) => bar.getAttribute('aria-label'));
    expect(bars).toEqual(['features: Succeeded', 'memory: Running', 'oracle: Pending']);
    // The second poll (one second later) finishes the run: no more bars, FACE fetched again.
    await waitFor(() => expect(notifySuccess).toHaveBeenCalledWith('The brain run finished'), { timeout: 4000 });
    await waitFor(() => expect(countFace(calls)).toBeGreaterThan(before));
    expect(screen.queryAllByRole('progressbar')).toHaveLength(0);
    const pollsAtEnd = polls;
    await new Promise((r) => setTimeout(r, 1500));
    expect(polls).toBe(pollsAtEnd);
  });

  it('follows the run already in progress when the start collides with it', async () => {
    stubApi({
      'GET /brain/runs': () => jsonResponse(200, EMPTY_PAGE),
      'POST /brain/runs': () => problem(409, 'conflict', 'Conflict', 'A run is already in progress.', { run_id: 'run-1' }),
      'GET /brain/runs/run-1': () => jsonResponse(200, run('running', { memory: { status: 'running', progress: 0.25, notes: [] } })),
    });
    renderWithProviders(
      <WhenLoggedIn>
        <RunBrainButton />
      </WhenLoggedIn>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Run the brain now' }));
    expect(await screen.findByRole('progressbar', { name: 'memory: Running' })).toHaveAttribute('aria-valuenow', '25');
  });

  it('is not offered to members who may not run the brain', async () => {
    stubApi({ 'GET /brain/runs': () => jsonResponse(200, EMPTY_PAGE) }, 'viewer');
    renderWithProviders(
      <WhenLoggedIn>
        <RunBrainButton />
        <span>loaded</span>
      </WhenLoggedIn>,
    );
    await screen.findByText('loaded');
    expect(screen.queryByRole('button', { name: 'Run the brain now' })).toBeNull();
  });
});

describe('the dashboard’s run line', () => {
  it('sums up a run: the mean progress and the module at work', () => {
    expect(
      runSummary(
        run('running', {
          oracle: { status: 'pending', progress: 0, notes: [] },
          features: { status: 'succeeded', progress: 1, notes: [] },
          memory: { status: 'running', progress: 0.5, notes: [] },
          curiosity: { status: 'pending', progress: 0, notes: [] },
        }),
      ),
    ).toEqual({ progress: 0.375, current: 'memory' });
    expect(runSummary(run('queued', {}))).toEqual({ progress: 0, current: null });
  });

  it('shows one bar and the module at work in its line, and a failure in a toast', async () => {
    const states = [
      run('running', { features: { status: 'succeeded', progress: 1, notes: [] }, memory: { status: 'running', progress: 0.5, notes: [] } }),
      { ...run('failed', { features: { status: 'succeeded', progress: 1, notes: [] }, memory: { status: 'failed', progress: 0.5, notes: [] } }), error: 'MEMORY ran out of data.' },
    ];
    let polls = 0;
    stubApi({
      'GET /brain/runs': () => jsonResponse(200, EMPTY_PAGE),
      'POST /brain/runs': () => jsonResponse(202, { id: 'run-1', status: 'queued' }),
      'GET /brain/runs/run-1': () => jsonResponse(200, states[Math.min(polls++, states.length - 1)]),
    });
    renderWithProviders(
      <WhenLoggedIn>
        <RunBrainInline>
          <span>Data as of today</span>
        </RunBrainInline>
      </WhenLoggedIn>,
    );
    const line = await screen.findByTestId('run-line');
    expect(line).toBeEmptyDOMElement();
    fireEvent.click(await screen.findByRole('button', { name: 'Run the brain now' }));
    const live = await screen.findByRole('group', { name: 'Brain run progress' });
    const bar = within(live).getByRole('progressbar', { name: 'The whole run' });
    expect(bar).toHaveAttribute('aria-valuenow', '75');
    expect(line).toHaveTextContent('The brain is running · memory: Running');
    await waitFor(() => expect(notifyFailure).toHaveBeenCalledWith('The brain run failed', 'MEMORY ran out of data.'), { timeout: 4000 });
    await waitFor(() => expect(line).toBeEmptyDOMElement());
  });
});
