/**
 * The dashboard's persona and period live in the URL (`?persona=vp_growth&period=28d`), so a
 * view can be bookmarked and shared; anything unknown falls back to the CMO's 7 days.
 */
import { useCallback } from 'react';
import { useSearchParams } from 'react-router-dom';

import { PERIODS, PERSONAS, type Period, type Persona } from '../api';

export const DEFAULT_PERSONA: Persona = 'cmo';
export const DEFAULT_PERIOD: Period = '7d';

export function parsePersona(value: string | null): Persona {
  return PERSONAS.find((p) => p === value) ?? DEFAULT_PERSONA;
}

export function parsePeriod(value: string | null): Period {
  return PERIODS.find((p) => p === value) ?? DEFAULT_PERIOD;
}

export function useFaceParams() {
  const [params, setParams] = useSearchParams();
  const persona = parsePersona(params.get('persona'));
  const period = parsePeriod(params.get('period'));
  const update = useCallback(
    (key: 'persona' | 'period', value: string) =>
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          next.set(key, value);
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );
  return {
    persona,
    period,
    setPersona: useCallback((value: Persona) => update('persona', value), [update]),
    setPeriod: useCallback((value: Period) => update('period', value), [update]),
  };
}
