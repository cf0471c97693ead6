import { ApiError, toApiError } from './problem';

describe('toApiError', () => {
  it('keeps the problem details and exposes the kind and field errors', () => {
    const error = toApiError(
      {
        type: '/api/v1/problems/validation-error',
        title: 'Validation error',
        status: 422,
        detail: 'The request failed validation.',
        errors: [{ loc: ['body', 'email'], message: 'Not an email address' }],
      },
      new Response(null, { status: 422 }),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(422);
    expect(error.kind).toBe('validation-error');
    expect(error.message).toBe('The request failed validation.');
    expect(error.fieldError('email')).toBe('Not an email address');
    expect(error.fieldError('password')).toBeUndefined();
  });

  it('turns a body that is not a problem into a generic error from the status', () => {
    const error = toApiError('<html>bad gateway</html>', new Response(null, { status: 502, statusText: 'Bad Gateway' }));
    expect(error.status).toBe(502);
    expect(error.problem.title).toBe('Bad Gateway');
    expect(error.problem.detail).toBe('');
  });
});
