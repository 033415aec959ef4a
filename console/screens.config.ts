// `./scripts/screens`: one screenshot per console screen at 1366×768, into ../screens/.
import { defineConfig } from '@playwright/test'
import base from './playwright.config'

export default defineConfig({
  ...base,
  testDir: 'screens',
  workers: 1,
  timeout: 300_000,
  reporter: 'line',
  outputDir: 'test-results/screens',
})
