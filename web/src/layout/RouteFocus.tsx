/**
 * On every client-side navigation, move focus to the main region (as a full page load would
 * put it at the top), so keyboard and screen-reader users start on the new page's content.
 */
import { useEffect, useRef } from 'react';
import { useLocation } from 'react-router-dom';

export function useRouteFocus(targetId = 'main'): void {
  const { pathname } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const target = document.getElementById(targetId);
    target?.focus({ preventScroll: false });
    window.scrollTo({ top: 0 });
  }, [pathname, targetId]);
}
