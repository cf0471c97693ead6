import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { afterFirstPaint, useFirstPaintDone } from './paint';

function Probe() {
  return <p>{useFirstPaintDone() ? 'painted' : 'first frame'}</p>;
}

describe('first paint', () => {
  it('renders the first frame first, then the rest; later work runs at once', async () => {
    const order: string[] = [];
    afterFirstPaint(() => order.push('queued'));
    render(<Probe />);
    // The render that makes the first frame, before anything queued for after it.
    expect(screen.getByText('first frame')).toBeInTheDocument();
    expect(order).toEqual([]);
    expect(await screen.findByText('painted')).toBeInTheDocument();
    expect(order).toEqual(['queued']);
    afterFirstPaint(() => order.push('later'));
    expect(order).toEqual(['queued', 'later']);
    // A component mounted after the first paint renders its content straight away.
    render(<Probe />);
    expect(screen.getAllByText('painted')).toHaveLength(2);
  });
});
