import { fireEvent, screen, waitFor, within } from '@testing-library/react';

import { jsonResponse, renderWithProviders } from '../../test/render';
import Evaluations, { flattenMetrics, metricNames, metricSeries, targetFor, type Evaluation, type Model } from './Evaluations';
import { LocationProbe, stubApi, WhenLoggedIn } from './testing/harness';

afterEach(() => vi.unstubAllGlobals());

function model(overrides: Partial<Model> = {}): Model {
  return {
    id: 'm1',
    name: 'oracle-fatigue',
    module: 'oracle',
    description: 'Creative fatigue classifier (7/14 days), calibrated.',
    scope: 'global',
    latest_version: 3,
    champion_version: 2,
    created_at: '2026-09-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    ...overrides,
  };
}

function evaluation(id: string, version: number | null, at: string, auc: number, passed: boolean | null = true): Evaluation {
  return {
    id,
    model_id: 'm1',
    version,
    dataset: 'simulator:beauty:held-out-seed=99:days=180',
    metrics: { held_out: { auc_7d: auc, brier_7d: 0.02, rows: 19798 }, development: { auc_7d: auc + 0.01 } },
    targets: { auc_7d: 0.85 },
    passed,
    scope: 'global',
    created_at: at,
    finished_at: at,
  };
}

// Newest first, as the API lists them.
const RUNS = [evaluation('e3', 3, '2026-11-10T00:00:00Z', 0.96), evaluation('e2', 2, '2026-10-10T00:00:00Z', 0.93), evaluation('e1', 1, '2026-09-10T00:00:00Z', 0.8, false)];

describe('metrics', () => {
  it('are flattened to dotted paths of their numbers', () => {
    expect(flattenMetrics({ held_out: { auc_7d: 0.9, note: 'x', nested: { a: 1 } }, n: 3, bad: Number.NaN, list: [1] })).toEqual({
      'held_out.auc_7d': 0.9,
      'held_out.nested.a': 1,
      n: 3,
    });
    expect(flattenMetrics(null)).toEqual({});
  });

  it('find their target by path, or by name on held-out data', () => {
    expect(targetFor('held_out.auc_7d', { auc_7d: 0.85 })).toBe(0.85);
    expect(targetFor('auc_7d', { auc_7d: 0.85 })).toBe(0.85);
    expect(targetFor('development.auc_7d', { auc_7d: 0.85 })).toBeUndefined();
  });

  it('put the targeted metrics first and chart them oldest first', () => {
    expect(metricNames(RUNS)).toEqual({ key: ['held_out.auc_7d'], all: ['held_out.auc_7d', 'development.auc_7d', 'held_out.brier_7d', 'held_out.rows'] });
    expect(metricSeries(RUNS, 'held_out.auc_7d').map((p) => [p.label, p.value])).toEqual([
      ['v1 · 2026-09-10', 0.8],
      ['v2 · 2026-10-10', 0.93],
      ['v3 · 2026-11-10', 0.96],
    ]);
  });
});

describe('the evaluations page', () => {
  function renderPage(route = '/brain/evaluations') {
    return renderWithProviders(
      <WhenLoggedIn>
        <Evaluations />
        <LocationProbe />
      </WhenLoggedIn>,
      { route },
    );
  }

  it('lists the models with their champion, charts the key metric and lists the runs', async () => {
    stubApi({
      'GET /models': () => jsonResponse(200, { data: [model(), model({ id: 'm2', name: 'memory-mmm', module: 'memory', champion_version: null })], has_more: false, next_cursor: null }),
      'GET /models/m1/evaluations': () => jsonResponse(200, { data: RUNS, has_more: false, next_cursor: null }),
    });
    renderPage();
    const models = await screen.findByRole('table', { name: /Models serving this organization/ });
    expect(within(models).getByText('★ Champion: v2')).toBeInTheDocument();
    expect(within(models).getByText('No champion')).toBeInTheDocument();
    expect(within(models).getByRole('button', { name: 'Show evaluations of oracle-fatigue' })).toHaveAttribute('aria-pressed', 'true');

    const chart = await screen.findByTestId('metric-chart-held_out.auc_7d');
    expect(chart).toHaveTextContent('Target 0.850');
    const rows = screen.getAllByTestId('evaluation-row');
    expect(rows).toHaveLength(3);
    // The champion's evaluation is marked; the failed one says so.
    expect(within(rows[1]!).getByText('★ Champion')).toBeInTheDocument();
    expect(within(rows[0]!).queryByText('★ Champion')).toBeNull();
    expect(within(rows[2]!).getByText('Missed targets')).toBeInTheDocument();
    expect(within(rows[0]!).getByText('0.960')).toBeInTheDocument();
  });

  it('charts another metric when it is chosen, and keeps the choice in the address', async () => {
    stubApi({
      'GET /models': () => jsonResponse(200, { data: [model()], has_more: false, next_cursor: null }),
      'GET /models/m1/evaluations': () => jsonResponse(200, { data: RUNS, has_more: false, next_cursor: null }),
    });
    renderPage();
    await screen.findByTestId('metric-chart-held_out.auc_7d');
    fireEvent.click(screen.getByRole('checkbox', { name: 'held_out.brier_7d' }));
    expect(await screen.findByTestId('metric-chart-held_out.brier_7d')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('metric=held_out.auc_7d&metric=held_out.brier_7d'));
  });

  it('says what to do when no model or no evaluation exists', async () => {
    stubApi({
      'GET /models': () => jsonResponse(200, { data: [model()], has_more: false, next_cursor: null }),
      'GET /models/m1/evaluations': () => jsonResponse(200, { data: [], has_more: false, next_cursor: null }),
    });
    renderPage();
    expect(await screen.findByText(/This model has no evaluation yet/)).toBeInTheDocument();
  });
});
