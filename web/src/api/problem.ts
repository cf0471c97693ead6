/** RFC 9457 problem details as the API sends them, and the error the client throws. */

export interface FieldError {
  loc: (string | number)[];
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }

  /** The stable kind, the last segment of `type` (`validation-error`, `sso-required`…). */
  get kind(): string {
    return this.problem.type.split('/').pop() ?? '';
  }

  /** The message for one body field (`loc` ends with it), if the API rejected it. */
  fieldError(field: string): string | undefined {
    return this.problem.errors?.find((e) => e.loc[e.loc.length - 1] === field)?.message;
  }
}

function isProblem(value: unknown): value is Problem {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Problem).title === 'string' &&
    typeof (value as Problem).status === 'number'
  );
}

/** Turn whatever a failed response carried into an ApiError (never raw JSON for the user). */
export function toApiError(body: unknown, response: Response): ApiError {
  if (isProblem(body)) {
    return new ApiError({ ...body, detail: typeof body.detail === 'string' ? body.detail : '' });
  }
  return new ApiError({
    type: 'about:blank',
    title: response.statusText || 'Request failed',
    status: response.status,
    detail: '',
  });
}

/** A network failure (offline, server down) as an ApiError with status 0. */
export function networkError(): ApiError {
  return new ApiError({ type: 'network', title: 'Network error', status: 0, detail: '' });
}
