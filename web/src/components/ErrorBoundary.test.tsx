import { fireEvent, screen } from '@testing-library/react';
import { useState } from 'react';

import { renderWithProviders } from '../test/render';
import { ErrorBoundary } from './ErrorBoundary';

let fail = true;
function Fragile() {
  if (fail) throw new Error('boom');
  return <p>recovered</p>;
}

function Harness() {
  const [, force] = useState(0);
  return (
    <ErrorBoundary onReset={() => force((n) => n + 1)}>
      <Fragile />
    </ErrorBoundary>
  );
}

describe('ErrorBoundary', () => {
  it('shows a retry that renders the children again', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    renderWithProviders(<Harness />);
    expect(screen.getByRole('alert')).toHaveTextContent('Something went wrong');
    fail = false;
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(screen.getByText('recovered')).toBeInTheDocument();
    spy.mockRestore();
  });
});
