import { en } from './en';
import { es } from './es';
import { translate } from './index';

describe('translate', () => {
  it('fills placeholders', () => {
    expect(translate('en', 'members.inviteSent', { email: 'a@b.co' })).toBe('Invitation sent to a@b.co.');
    expect(translate('es', 'members.inviteSent', { email: 'a@b.co' })).toBe('Invitación enviada a a@b.co.');
  });

  it('leaves unknown placeholders visible rather than blank', () => {
    expect(translate('en', 'overview.days', {})).toBe('Last {n} days');
  });

  it('has a Spanish message for every English key, each with the same placeholders', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(es[key], key).toBeTruthy();
      expect(placeholders(es[key]), key).toEqual(placeholders(en[key]));
    }
  });
});
