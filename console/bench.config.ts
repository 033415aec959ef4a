// Browser benchmarks (console/bench/*.bench.ts), one at a time. The dashboard's runs on the
// 1,000,000-member benchmark database (the README's performance section says how to seed it):
// BENCH_DATABASE_URL names it and it is served as it is. Without it the service starts on a fresh
// SQLite file with the demo data, which the counter's benchmark uses.
import { defineConfig } from '@playwright/test'
import base from './playwright.config'

const port = process.env.E2E_PORT ?? 5187
const benchDatabase = process.env.BENCH_DATABASE_URL

export default defineConfig({
  ...base,
  testDir: 'bench',
  testMatch: '*.bench.ts',
  workers: 1,
  timeout: 300_000,
  reporter: 'line',
  outputDir: 'test-results/bench',
  webServer: {
    ...(base.webServer as object),
    command: benchDatabase ? `E2E_DATABASE_URL=${benchDatabase} E2E_SKIP_SETUP=1 bash e2e/serve.sh ${port}` : `bash e2e/serve.sh ${port}`,
  },
})
