import { fireEvent, screen } from '@testing-library/react';
import { useState } from 'react';

import { problem, renderWithProviders } from '../../../test/render';
import { toApiError } from '../../../api/problem';
import { DisconnectDialog } from './DisconnectDialog';

function Harness({ onConfirm, error = null }: { onConfirm: (purge: boolean) => void; error?: unknown }) {
  const [opened, setOpened] = useState(true);
  return (
    <>
      <button type="button" onClick={() => setOpened(true)}>
        open
      </button>
      <DisconnectDialog opened={opened} name="Shopify" pending={false} error={error} onClose={() => setOpened(false)} onConfirm={onConfirm} />
    </>
  );
}

describe('the disconnect dialog', () => {
  it('keeps the data by default', () => {
    const onConfirm = vi.fn();
    renderWithProviders(<Harness onConfirm={onConfirm} />);
    expect(screen.getByRole('dialog', { name: 'Disconnect Shopify?' })).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: /Keep it/ })).toBeChecked();
    fireEvent.click(screen.getByRole('button', { name: 'Disconnect' }));
    expect(onConfirm).toHaveBeenCalledWith(false);
  });

  it('purges only when chosen, and says so on the button; reopening starts from keep', async () => {
    const onConfirm = vi.fn();
    renderWithProviders(<Harness onConfirm={onConfirm} />);
    fireEvent.click(screen.getByRole('radio', { name: /Delete it/ }));
    expect(screen.getByText('Deletes every row this connection brought in. This cannot be undone.')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Disconnect and delete the data' }));
    expect(onConfirm).toHaveBeenCalledWith(true);

    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    fireEvent.click(screen.getByRole('button', { name: 'open', hidden: true }));
    expect(await screen.findByRole('radio', { name: /Keep it/ })).toBeChecked();
  });

  it('shows the API’s problem', async () => {
    const error = toApiError(await problem(409, 'conflict', 'Conflict', 'A sync is running.').json(), new Response(null, { status: 409 }));
    renderWithProviders(<Harness onConfirm={vi.fn()} error={error} />);
    expect(screen.getByRole('alert')).toHaveTextContent('A sync is running.');
  });
});
