import { orderedModules } from './api';
import { runSeconds } from './Runs';
import { run } from './testing/harness';

describe('run history', () => {
  it('measures a finished run and nothing for one still going', () => {
    expect(runSeconds(run('succeeded'))).toBe(30);
    expect(runSeconds(run('running'))).toBeNull();
  });

  it('lists modules in pipeline order whatever order the API sends', () => {
    const modules = { face: { status: 'pending' as const, progress: 0, notes: [] }, memory: { status: 'running' as const, progress: 0.5, notes: [] }, features: { status: 'succeeded' as const, progress: 1, notes: [] } };
    expect(orderedModules(run('running', modules)).map(([name]) => name)).toEqual(['features', 'memory', 'face']);
  });
});
