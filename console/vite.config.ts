import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

// The service serves the build at /console/ (app/console); `npm run dev` proxies the API to it.
export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  server: {
    port: 5173,
    proxy: { '/api': process.env.PITSTOP_API ?? 'http://127.0.0.1:5000' },
  },
  build: {
    // scripts/check-bundle.mjs reads the manifest to add up what each route loads.
    manifest: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // ECharts and zrender only (they import nothing of ours): a manual chunk also takes in the
        // modules its members import, so naming vue-echarts here would pull Vue itself into the
        // charts chunk and make every screen, the counter first, load the charts.
        manualChunks(id: string) {
          if (id.includes('node_modules/echarts/') || id.includes('node_modules/zrender/')) return 'charts'
          return undefined
        },
      },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
})
