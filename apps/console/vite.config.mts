// The operator console's build (docs/adr/0013): one page under /console/ of the session service.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/apps/console', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    // One page for operators on a LAN: a single bundle is fine; no warning at React + Chart.js size.
    chunkSizeWarningLimit: 1024,
  },
});
