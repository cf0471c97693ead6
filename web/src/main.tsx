import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import './styles.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App, queryClient } from './App';
import { fetchMe, ME_KEY } from './auth/session';
import { preloadRoute } from './routes';

const root = document.getElementById('root');
if (!root) throw new Error('#root is missing from index.html');
// Who is logged in (index.html has already asked: this takes that answer) and what the first
// page needs, asked before React's first render instead of after it (see preloadRoute).
const session = queryClient.fetchQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: 60_000 });
preloadRoute(window.location, queryClient, session);
// The first render waits, briefly, for the answer about the session, which is usually in by
// the time this bundle has run (index.html asked for it alongside): then the first paint is
// the page itself — the shell and the page's heading — rather than a skeleton that the
// answer replaces a few tasks later. A slow answer does not hold the page back longer than
// FIRST_RENDER_WAIT_MS: the skeleton shows, as before.
const FIRST_RENDER_WAIT_MS = 250;
const render = () =>
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
void Promise.race([session.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, FIRST_RENDER_WAIT_MS))]).then(render);
