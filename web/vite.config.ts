/// <reference types="vitest" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API runs on `brain serve` (port 8000 by default); `npm run dev` proxies /api to it so
// the session cookie stays same-origin, as in production where brain serves the build.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { '/api': process.env.BRAIN_API_URL ?? 'http://127.0.0.1:8000' },
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    // The CSP forbids inline scripts: never inline the module preload polyfill.
    modulePreload: { polyfill: false },
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
  },
});
