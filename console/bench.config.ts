// The owner's dashboard measured on the 1,000,000-member benchmark database (bench/README in the
// repository root says how to seed it): BENCH_DATABASE_URL names it; nothing is migrated or seeded.
import { defineConfig } from '@playwright/test'
import base from './playwright.config'

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
    command: `E2E_DATABASE_URL=${process.env.BENCH_DATABASE_URL ?? ''} E2E_SKIP_SETUP=1 bash e2e/serve.sh ${process.env.E2E_PORT ?? 5187}`,
  },
})
