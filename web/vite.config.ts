import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Root is web/, output web/dist (served by the API server with an SPA fallback).
// Dev: `npm run dev:web` proxies /api to the API on :3000; start the API with
// ALLOWED_ORIGINS=http://localhost:5173 so cookie-authenticated POSTs from the dev server pass the Origin check.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { port: 5173, proxy: { '/api': 'http://127.0.0.1:3000' } },
});
