import { translateBrain } from './i18n';

describe('brain strings', () => {
  it('are translated to Spanish and fill placeholders', () => {
    expect(translateBrain('en', 'run.now')).toBe('Run the brain now');
    expect(translateBrain('es', 'run.now')).toBe('Ejecutar el cerebro ahora');
    expect(translateBrain('es', 'face.freshness', { date: '24 nov 2026' })).toBe('Datos al 24 nov 2026');
  });
});
