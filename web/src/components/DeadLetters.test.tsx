import { fireEvent, screen, within } from '@testing-library/react';

import { notifyError, notifySuccess } from '../lib/notify';
import { renderWithProviders } from '../test/render';
import { DeadLetters, translateDeadLetter, type DeadLetterQuery, type DeadLetterReplay, type DeadLetterRow } from './DeadLetters';

vi.mock('../lib/notify', () => ({ notifySuccess: vi.fn(), notifyError: vi.fn(), notifyFailure: vi.fn() }));

interface Letter extends DeadLetterRow {
  organization_id: string;
}

function letter(id: string, overrides: Partial<Letter> = {}): Letter {
  return {
    id,
    organization_id: 'org-1',
    direction: 'outbound',
    event_type: 'sync.completed',
    attempts: 8,
    error: 'HTTP 500',
    created_at: '2026-11-24T10:00:00Z',
    replayed_at: null,
    ...overrides,
  };
}

function query(rows: Letter[], overrides: Partial<DeadLetterQuery<Letter>> = {}): DeadLetterQuery<Letter> {
  return {
    data: { pages: [{ data: rows }] },
    isLoading: false,
    isSuccess: true,
    error: null,
    refetch: vi.fn(),
    hasNextPage: false,
    isFetchingNextPage: false,
    fetchNextPage: vi.fn(),
    ...overrides,
  };
}

function replayOk(): DeadLetterReplay & { mutate: ReturnType<typeof vi.fn> } {
  return { mutate: vi.fn((_id: string, options?: { onSuccess?: () => void }) => options?.onSuccess?.()), isPending: false };
}

afterEach(() => {
  vi.mocked(notifySuccess).mockClear();
  vi.mocked(notifyError).mockClear();
});

describe('the dead-letter table', () => {
  it('lists the letters with a replay button each, and a replayed one with its date', () => {
    const replay = replayOk();
    renderWithProviders(<DeadLetters query={query([letter('a'), letter('b', { replayed_at: '2026-11-25T10:00:00Z', event_type: 'sync.failed' })])} replay={replay} />);
    const table = screen.getByTestId('dead-letters');
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(within(table).queryByRole('columnheader', { name: 'Tenant' })).toBeNull();
    expect(within(table).queryByRole('columnheader', { name: 'Direction' })).toBeNull();
    expect(within(table).getByText(/^Replayed /)).toBeInTheDocument();
    fireEvent.click(within(table).getByRole('button', { name: /^Replay: sync\.completed, / }));
    expect(replay.mutate).toHaveBeenCalledWith('a', expect.anything());
    expect(notifySuccess).toHaveBeenCalledWith(translateDeadLetter('en', 'dead.replayedToast'));
  });

  it('adds the tenant (linked) and the direction for the operator console', () => {
    renderWithProviders(
      <DeadLetters
        query={query([letter('a', { direction: 'inbound' })])}
        replay={replayOk()}
        tenant={(l) => ({ name: `Tenant ${l.organization_id}`, href: `/operator/tenants/${l.organization_id}` })}
        showDirection
        testId="ops"
      />,
    );
    const table = screen.getByTestId('ops');
    expect(within(table).getByRole('columnheader', { name: 'Tenant' })).toBeInTheDocument();
    expect(within(table).getByRole('link', { name: 'Tenant org-1' })).toHaveAttribute('href', '/operator/tenants/org-1');
    expect(within(table).getByRole('cell', { name: 'Received' })).toBeInTheDocument();
    expect(within(table).getByRole('button', { name: /^Replay: sync\.completed, Tenant org-1, / })).toBeInTheDocument();
  });

  it('says when there are none, and shows a placeholder while loading', () => {
    const { unmount } = renderWithProviders(<DeadLetters query={query([])} replay={replayOk()} />);
    expect(screen.getByText(/No dead letters/)).toBeInTheDocument();
    unmount();
    renderWithProviders(<DeadLetters query={query([], { data: undefined, isLoading: true, isSuccess: false })} replay={replayOk()} />);
    expect(screen.getByLabelText('Loading…')).toHaveAttribute('aria-busy', 'true');
    expect(screen.queryByText(/No dead letters/)).toBeNull();
  });

  it('tells a failed replay, and offers more when the API has more', () => {
    const fetchNextPage = vi.fn();
    const replay: DeadLetterReplay = { mutate: (_id, options) => options?.onError?.(new Error('boom')), isPending: false };
    renderWithProviders(<DeadLetters query={query([letter('a')], { hasNextPage: true, fetchNextPage })} replay={replay} />);
    fireEvent.click(screen.getByRole('button', { name: /^Replay: / }));
    expect(notifyError).toHaveBeenCalledWith(expect.any(Error), 'The replay failed');
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(fetchNextPage).toHaveBeenCalled();
  });

  it('speaks Spanish too', () => {
    expect(translateDeadLetter('es', 'dead.replayLabel', { event: 'x', date: 'hoy' })).toBe('Reenviar: x, hoy');
  });
});
