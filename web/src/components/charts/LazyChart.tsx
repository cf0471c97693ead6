/**
 * Charts drawn only when they come near the viewport, from a charting chunk loaded then.
 *
 * The charting library is the biggest chunk of the app and drawing a chart is the most
 * expensive render of a page, so a page's first paint pays for neither: each chart is a
 * placeholder of the chart's exact height (nothing moves when it is drawn) until it is
 * within `NEAR` of the viewport. Charts that come into view together are drawn one after
 * another, each in its own task (a transition, the next one after the previous has painted),
 * so drawing a row of charts is never one long task. The numbers stay readable meanwhile:
 * ChartFigure's table for screen readers does not wait for the picture.
 */
import type { AreaChartProps, BarChartProps, LineChartProps } from '@mantine/charts';
import { Skeleton } from '@mantine/core';
import { lazy, startTransition, Suspense, useEffect, useRef, useState, type ComponentType } from 'react';

/** How far outside the viewport a chart starts loading and drawing (before it is seen). */
export const NEAR = '300px 0px';

const library = () => import('./library');
const Area = lazy(() => library().then((m) => ({ default: m.AreaChart as ComponentType<AreaChartProps> })));
const Line = lazy(() => library().then((m) => ({ default: m.LineChart as ComponentType<LineChartProps> })));
const Bar = lazy(() => library().then((m) => ({ default: m.BarChart as ComponentType<BarChartProps> })));

// One chart drawn at a time: a chart's turn ends a frame after it has mounted (recharts draws
// once it has measured its box, in that frame), or when it leaves the page, or at the latest
// after TURN_MS (a chunk that failed to load must not hold up the others).
const TURN_MS = 2000;

interface Turn {
  start: () => void;
  timer?: number;
}

const waiting: Turn[] = [];
let current: Turn | null = null;

function begin(turn: Turn) {
  current = turn;
  turn.timer = window.setTimeout(() => finish(turn), TURN_MS);
  turn.start();
}

function finish(turn: Turn) {
  const index = waiting.indexOf(turn);
  if (index >= 0) waiting.splice(index, 1);
  if (current !== turn) return;
  window.clearTimeout(turn.timer);
  current = null;
  window.setTimeout(() => {
    const next = waiting.shift();
    if (next && !current) begin(next);
  }, 0);
}

function request(start: () => void): Turn {
  const turn: Turn = { start };
  if (current) waiting.push(turn);
  else begin(turn);
  return turn;
}

/** Ends the chart's turn a frame after it has mounted (rendered inside its Suspense). */
function Drawn({ turn }: { turn: React.MutableRefObject<Turn | null> }) {
  useEffect(() => {
    const mine = turn.current;
    if (!mine) return undefined;
    const frame = requestAnimationFrame(() => finish(mine));
    return () => cancelAnimationFrame(frame);
  }, [turn]);
  return null;
}

/** Whether the element has come within NEAR of the viewport (and its turn to draw came). */
function useDrawWhenNear(): { ref: React.RefObject<HTMLDivElement>; turn: React.MutableRefObject<Turn | null>; draw: boolean } {
  const ref = useRef<HTMLDivElement>(null);
  const turn = useRef<Turn | null>(null);
  // Without IntersectionObserver (old browsers, tests), charts are drawn at once.
  const [draw, setDraw] = useState(() => typeof IntersectionObserver === 'undefined');
  useEffect(() => {
    const element = ref.current;
    if (draw || !element) return undefined;
    const observer = new IntersectionObserver(
      (entries) => {
        if (!entries.some((entry) => entry.isIntersecting)) return;
        observer.disconnect();
        turn.current = request(() => startTransition(() => setDraw(true)));
      },
      { rootMargin: NEAR },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [draw]);
  // Leaving the page while waiting or drawing gives the turn to the next chart.
  useEffect(
    () => () => {
      if (turn.current) finish(turn.current);
    },
    [],
  );
  return { ref, turn, draw };
}

function LazyChart<P extends { h?: unknown }>({ Chart, props, height }: { Chart: ComponentType<P>; props: P; height: number }) {
  const { ref, turn, draw } = useDrawWhenNear();
  const placeholder = <Skeleton height={height} radius="sm" />;
  return (
    <div ref={ref} style={{ minHeight: height }}>
      {draw ? (
        <Suspense fallback={placeholder}>
          <Chart {...props} />
          <Drawn turn={turn} />
        </Suspense>
      ) : (
        placeholder
      )}
    </div>
  );
}

/** Mantine's AreaChart, drawn when near the viewport; `h` (px) is required (its placeholder's). */
export function AreaChart(props: AreaChartProps & { h: number }) {
  return <LazyChart Chart={Area} props={props} height={props.h} />;
}

/** Mantine's LineChart, drawn when near the viewport; `h` (px) is required. */
export function LineChart(props: LineChartProps & { h: number }) {
  return <LazyChart Chart={Line} props={props} height={props.h} />;
}

/** Mantine's BarChart, drawn when near the viewport; `h` (px) is required. */
export function BarChart(props: BarChartProps & { h: number }) {
  return <LazyChart Chart={Bar} props={props} height={props.h} />;
}
