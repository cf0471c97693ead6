import { fireEvent, screen, waitFor } from '@testing-library/react';

import { ApiError } from '../../api/problem';
import { renderWithProviders } from '../../test/render';
import { emptyDraft, keysFor, localDateTime, OverrideForm, validateOverride, type OverrideDraft } from './OverrideForm';

const NOW = new Date('2026-11-20T12:00:00');

function draft(overrides: Partial<OverrideDraft>): OverrideDraft {
  return { ...emptyDraft(NOW), reason: 'Pilot with a big import', ...overrides };
}

describe('validateOverride', () => {
  it('builds the API body of a quota override, a limit or unlimited', () => {
    const { errors, body } = validateOverride(draft({ kind: 'quota', key: 'events_per_month', limit: '2000000' }), NOW);
    expect(errors).toEqual({});
    expect(body).toEqual({
      kind: 'quota',
      key: 'events_per_month',
      value: 2000000,
      expires_at: new Date(localDateTime(NOW)).toISOString(),
      reason: 'Pilot with a big import',
    });
    expect(validateOverride(draft({ kind: 'quota', key: 'events_per_month', limit: '', unlimited: true }), NOW).body?.value).toBeNull();
  });

  it('turns modules and features on, and extends trials by 1-365 days', () => {
    expect(validateOverride(draft({ kind: 'module', key: 'voice' }), NOW).body).toMatchObject({ kind: 'module', key: 'voice', value: 1 });
    expect(validateOverride(draft({ kind: 'feature', key: 'sso_enforcement' }), NOW).body).toMatchObject({ kind: 'feature', value: 1 });
    expect(validateOverride(draft({ kind: 'trial', key: '', days: '14' }), NOW).body).toMatchObject({ kind: 'trial', key: 'trial', value: 14 });
    expect(validateOverride(draft({ kind: 'trial', days: '0' }), NOW).errors).toEqual({ value: 'overrides.err.days' });
    expect(validateOverride(draft({ kind: 'trial', days: '366' }), NOW).errors).toEqual({ value: 'overrides.err.days' });
  });

  it('refuses what the API would refuse', () => {
    expect(validateOverride(draft({ kind: '', key: '' }), NOW).errors.kind).toBe('overrides.err.kind');
    expect(validateOverride(draft({ kind: 'quota', key: '' , limit: '5'}), NOW).errors).toEqual({ key: 'overrides.err.key' });
    expect(validateOverride(draft({ kind: 'module', key: 'events_per_month' }), NOW).errors).toEqual({ key: 'overrides.err.key' });
    expect(validateOverride(draft({ kind: 'quota', key: 'syncs_per_day', limit: '-1' }), NOW).errors).toEqual({ value: 'overrides.err.limit' });
    expect(validateOverride(draft({ kind: 'quota', key: 'syncs_per_day', limit: '2.5' }), NOW).errors).toEqual({ value: 'overrides.err.limit' });
    expect(validateOverride(draft({ kind: 'module', key: 'voice', expires: '2026-11-19T12:00' }), NOW).errors).toEqual({ expires: 'overrides.err.expires' });
    expect(validateOverride(draft({ kind: 'module', key: 'voice', expires: '' }), NOW).errors).toEqual({ expires: 'overrides.err.expires' });
    expect(validateOverride(draft({ kind: 'module', key: 'voice', reason: '  a ' }), NOW).errors).toEqual({ reason: 'overrides.err.reason' });
    expect(validateOverride(draft({ kind: 'module', key: 'voice', reason: 'x'.repeat(501) }), NOW).errors).toEqual({ reason: 'overrides.err.reason' });
  });

  it('offers the catalog’s quotas, modules and features', () => {
    expect(keysFor('quota')).toContain('api_requests_per_minute');
    expect(keysFor('module')).toContain('voice');
    expect(keysFor('feature')).toContain('custom_retention');
    expect(keysFor('trial')).toEqual(['trial']);
  });
});

describe('OverrideForm', () => {
  it('shows what is wrong next to each field and sends nothing', async () => {
    const onSubmit = vi.fn();
    renderWithProviders(<OverrideForm onSubmit={onSubmit} onCancel={() => undefined} pending={false} error={null} now={NOW} />);
    fireEvent.click(screen.getByRole('button', { name: 'Add override' }));
    expect(await screen.findByText('Choose what to override.')).toBeInTheDocument();
    expect(screen.getByText('Enter a whole number of 0 or more, or choose unlimited.')).toBeInTheDocument();
    expect(screen.getByText('Give a reason of 3 to 500 characters.')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: /Reason/ })).toHaveAttribute('aria-invalid', 'true');
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('sends an unlimited quota with its expiry and reason', async () => {
    const onSubmit = vi.fn();
    renderWithProviders(<OverrideForm onSubmit={onSubmit} onCancel={() => undefined} pending={false} error={null} now={NOW} />);
    fireEvent.click(screen.getByRole('textbox', { name: /What/ }));
    fireEvent.click(await screen.findByRole('option', { name: 'Brain runs' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Unlimited' }));
    expect(screen.getByRole('textbox', { name: /New limit/ })).toBeDisabled();
    fireEvent.change(screen.getByLabelText(/Expires/), { target: { value: '2026-12-31T18:30' } });
    fireEvent.change(screen.getByRole('textbox', { name: /Reason/ }), { target: { value: 'Load test for the launch' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add override' }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit).toHaveBeenCalledWith({
      kind: 'quota',
      key: 'brain_runs_per_day',
      value: null,
      expires_at: new Date('2026-12-31T18:30').toISOString(),
      reason: 'Load test for the launch',
    });
  });

  it('asks for trial days when extending a trial', async () => {
    const onSubmit = vi.fn();
    renderWithProviders(<OverrideForm onSubmit={onSubmit} onCancel={() => undefined} pending={false} error={null} now={NOW} />);
    fireEvent.click(screen.getByRole('textbox', { name: /Kind/ }));
    fireEvent.click(await screen.findByRole('option', { name: 'Trial extension' }));
    expect(screen.queryByRole('textbox', { name: /What/ })).toBeNull();
    fireEvent.change(screen.getByRole('textbox', { name: /Days added to the trial/ }), { target: { value: '400' } });
    fireEvent.change(screen.getByRole('textbox', { name: /Reason/ }), { target: { value: 'Procurement is slow' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add override' }));
    expect(await screen.findByText('Enter a whole number of days from 1 to 365.')).toBeInTheDocument();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('shows the API’s field errors on the fields', () => {
    const error = new ApiError({
      type: '/api/v1/problems/validation-error',
      title: 'Invalid request',
      status: 422,
      detail: 'expires_at must be in the future.',
      errors: [{ loc: ['body', 'expires_at'], message: 'Must be in the future.' }],
    });
    renderWithProviders(<OverrideForm onSubmit={() => undefined} onCancel={() => undefined} pending={false} error={error} now={NOW} />);
    expect(screen.getByText('Must be in the future.', { selector: '.mantine-InputWrapper-error' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('expires_at must be in the future.');
  });
});
