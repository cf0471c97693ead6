import { toInstant } from './Audit';

describe('audit filters', () => {
  it('turns dates into RFC 3339 instants, the "until" day inclusive', () => {
    expect(toInstant('2026-03-01', false)).toBe('2026-03-01T00:00:00.000Z');
    expect(toInstant('2026-03-01', true)).toBe('2026-03-02T00:00:00.000Z');
    expect(toInstant('', false)).toBeUndefined();
    expect(toInstant('not-a-date', false)).toBeUndefined();
  });
});
