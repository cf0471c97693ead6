import { useEffect, useState } from 'react';

let committed = false;
let painted = false;
const waiting: (() => void)[] = [];

function flushAfterNextFrame(): void {
  // A frame's animation callbacks run just before it is painted: the next task after one
  // comes after that paint.
  requestAnimationFrame(() => {
    setTimeout(() => {
      painted = true;
      for (const run of waiting.splice(0)) run();
    }, 0);
  });
}

/**
 * Run `callback` once the app's first frame — the first render React committed — has been
 * painted; at once after that.
 */
export function afterFirstPaint(callback: () => void): void {
  if (painted) {
    callback();
    return;
  }
  waiting.push(callback);
}

/** Called once the app's first render is committed (an effect of the app's root). */
export function firstRenderCommitted(): void {
  if (committed) return;
  committed = true;
  flushAfterNextFrame();
}

/** Marks the first render as committed, from the root component. */
export function useFirstRenderCommitted(): void {
  useEffect(firstRenderCommitted, []);
}

/** False for the render that makes the app's first frame, true once it has been painted (and
 * from then on, for every component mounted later). */
export function useFirstPaintDone(): boolean {
  const [done, setDone] = useState(painted);
  useEffect(() => {
    if (done) return undefined;
    let live = true;
    // This component's render was committed (it may be the first one, in a tree without the
    // app's root, as in component tests).
    firstRenderCommitted();
    afterFirstPaint(() => {
      if (live) setDone(true);
    });
    return () => {
      live = false;
    };
  }, [done]);
  return done;
}
