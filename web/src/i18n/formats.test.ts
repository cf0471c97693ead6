import { describe, expect, it } from 'vitest';

import { dateTimeFormat, numberFormat, perLocale } from './formats';

describe('formatters made once', () => {
  it('gives the same formatter for the same language and options', () => {
    expect(numberFormat('en', { maximumFractionDigits: 0 })).toBe(numberFormat('en', { maximumFractionDigits: 0 }));
    expect(numberFormat('en', { maximumFractionDigits: 0 })).not.toBe(numberFormat('es', { maximumFractionDigits: 0 }));
    expect(dateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date('2026-03-05T00:00:00Z'))).toBe('Mar 5, 2026');
  });

  it('makes a per-language value on first use only', () => {
    let made = 0;
    const value = perLocale((locale) => {
      made += 1;
      return { locale };
    });
    expect(value('en')).toBe(value('en'));
    expect(value('es').locale).toBe('es');
    expect(made).toBe(2);
  });
});
