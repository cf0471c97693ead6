import { screen } from '@testing-library/react';

import { ApiError } from '../api/problem';
import { renderWithProviders } from '../test/render';
import { ProblemAlert } from './ProblemAlert';

describe('ProblemAlert', () => {
  it('shows the title, the detail and each field error', () => {
    const error = new ApiError({
      type: '/api/v1/problems/validation-error',
      title: 'Validation error',
      status: 422,
      detail: 'The request failed validation.',
      errors: [{ loc: ['body', 'password'], message: 'Too short' }],
    });
    renderWithProviders(<ProblemAlert error={error} />);
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Validation error');
    expect(alert).toHaveTextContent('The request failed validation.');
    expect(alert).toHaveTextContent('password: Too short');
  });

  it('explains a network failure', () => {
    renderWithProviders(<ProblemAlert error={new ApiError({ type: 'network', title: 'Network error', status: 0, detail: '' })} />);
    expect(screen.getByRole('alert')).toHaveTextContent('Cannot reach Brain');
  });

  it('renders nothing without an error', () => {
    const { container } = renderWithProviders(<ProblemAlert error={null} />);
    expect(container.querySelector('[role=alert]')).toBeNull();
  });
});
