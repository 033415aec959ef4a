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
        manualChunks(id: string) {
          // ECharts and zrender only: a group takes its modules' dependencies with it, and
          // vue-echarts depends on Vue, which would then move into this chunk and make every
          // screen, the counter included, load the charts.
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'charts'
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
