import { act } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { renderWithProviders } from '../../test/render';
import { AreaChart, LineChart } from './LazyChart';

// The library itself is not what is tested here: a light stand-in that names what it drew.
vi.mock('./library', () => ({
  AreaChart: ({ h }: { h: number }) => <div data-testid="area">area {h}</div>,
  LineChart: ({ h }: { h: number }) => <div data-testid="line">line {h}</div>,
  BarChart: () => <div data-testid="bar" />,
}));

/** An IntersectionObserver the test drives: `enter(i)` brings the i-th observed element in. */
class FakeObserver {
  static all: FakeObserver[] = [];
  element: Element | null = null;
  constructor(private readonly callback: IntersectionObserverCallback) {
    FakeObserver.all.push(this);
  }
  observe(element: Element) {
    this.element = element;
  }
  disconnect() {
    this.element = null;
  }
  unobserve() {}
  takeRecords() {
    return [];
  }
  enter() {
    if (!this.element) return;
    const entry = { isIntersecting: true, target: this.element } as unknown as IntersectionObserverEntry;
    this.callback([entry], this as unknown as IntersectionObserver);
  }
}

describe('charts drawn near the viewport', () => {
  beforeEach(() => {
    FakeObserver.all = [];
    vi.stubGlobal('IntersectionObserver', FakeObserver);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('keeps the chart’s height and draws nothing until it comes near the viewport', async () => {
    const { container, queryByTestId, findByTestId } = renderWithProviders(<AreaChart h={260} data={[]} dataKey="date" series={[]} />);
    const slot = container.querySelector('div[style*="min-height"]') as HTMLElement;
    expect(slot.style.minHeight).toBe('260px');
    expect(queryByTestId('area')).toBeNull();
    act(() => FakeObserver.all[0]?.enter());
    expect(await findByTestId('area')).toHaveTextContent('area 260');
  });

  it('does not draw charts that come into view together in the same task', async () => {
    const { queryByTestId, findByTestId } = renderWithProviders(
      <>
        <AreaChart h={100} data={[]} dataKey="date" series={[]} />
        <LineChart h={120} data={[]} dataKey="date" series={[]} />
      </>,
    );
    act(() => FakeObserver.all.forEach((observer) => observer.enter()));
    expect(await findByTestId('area')).toBeInTheDocument();
    // The second waits for the first to be drawn (its turn comes a frame after the first
    // mounted; the e2e tests see every chart of the dashboard drawn once scrolled to).
    expect(queryByTestId('line')).toBeNull();
  });
});
