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
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
