import { screen, within } from '@testing-library/react';

import { renderWithProviders } from '../../../test/render';
import { Checklist } from './Checklist';

describe('the access checklist', () => {
  it('shows every check passed, in words', () => {
    renderWithProviders(
      <Checklist
        test={{ ok: true, checks: [{ name: 'credentials', ok: true, detail: 'the access token is valid' }, { name: 'sample read', ok: true, detail: '5 record(s) of ads_insights' }], missing_scopes: [], sample_records: 5 }}
        auth="oauth2"
        sandbox={false}
        scopes={['ads_read']}
      />,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('All checks passed. Read 5 sample record(s).');
    const items = within(screen.getByRole('list', { name: 'Access checks' })).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent('Credentials — Passed');
    expect(items[1]).toHaveTextContent('Sample read — Passed5 record(s) of ads_insights');
    expect(screen.queryByText(/How to fix/)).not.toBeInTheDocument();
  });

  it('says how to fix each failure for an OAuth platform, naming the missing permissions', () => {
    renderWithProviders(
      <Checklist
        test={{
          ok: false,
          checks: [
            { name: 'credentials', ok: true, detail: 'the access token is valid' },
            { name: 'scopes', ok: false, detail: 'missing: ads_read' },
            { name: 'account act_42', ok: false, detail: 'permission denied' },
          ],
          missing_scopes: ['ads_read'],
          sample_records: 0,
        }}
        auth="oauth2"
        sandbox={false}
        scopes={['ads_read', 'business_management']}
      />,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('2 check(s) failed');
    const items = screen.getAllByTestId('check-item');
    expect(items.map((item) => item.getAttribute('data-ok'))).toEqual(['true', 'false', 'false']);
    expect(items[1]).toHaveTextContent('Permissions — Failed');
    expect(items[1]).toHaveTextContent('Missing permissions: ads_read');
    expect(items[1]).toHaveTextContent('How to fix: Authorize again and approve every permission asked for (ads_read).');
    expect(items[2]).toHaveTextContent('account act_42 — Failed');
    expect(items[2]).toHaveTextContent('How to fix: The signed-in account cannot read this account.');
  });

  it('lists permissions an API-key connector only reported, with the key fix', () => {
    renderWithProviders(
      <Checklist
        test={{ ok: false, checks: [{ name: 'credentials', ok: true, detail: '' }], missing_scopes: ['crm.objects.deals.read'], sample_records: 0 }}
        auth="api_key"
        sandbox={false}
        scopes={[]}
      />,
    );
    const items = screen.getAllByTestId('check-item');
    expect(items).toHaveLength(2);
    expect(items[1]).toHaveTextContent('Permissions — Failed');
    expect(items[1]).toHaveTextContent('Give the key these permissions in the platform’s settings (crm.objects.deals.read)');
  });
});
