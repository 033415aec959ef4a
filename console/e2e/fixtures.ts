// Shared by the browser tests: signed-in pages without typing a password each time (the login
// screen has its own test), API calls as a staff member to set up and check data, and an
// action counter for the targets ("at most N user actions").
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test as base, expect, type APIRequestContext, type Locator, type Page } from '@playwright/test'

export const PASSWORD = 'pitstop-demo'
type Session = { token: string; staff: { id: number; username: string; role: string; store_ids: number[] } }
const sessions = new Map<string, Session>()

export async function staffSession(request: APIRequestContext, username: string): Promise<Session> {
  const cached = sessions.get(username)
  if (cached) return cached
  const response = await request.post('/api/v1/auth/staff/login', { data: { username, password: PASSWORD } })
  expect(response.status(), `login ${username}`).toBe(200)
  const session = (await response.json()) as Session
  sessions.set(username, session)
  return session
}

/** An API client acting as `username` (setting up data, and reading what the screen should show). */
export async function staffApi(request: APIRequestContext, username: string) {
  const { token } = await staffSession(request, username)
  const headers = { Authorization: `Bearer ${token}` }
  return {
    async get<T = any>(path: string): Promise<T> {
      const response = await request.get(`/api/v1${path}`, { headers })
      expect(response.ok(), `GET ${path}: ${await response.text()}`).toBeTruthy()
      return (await response.json()) as T
    },
    async post<T = any>(path: string, data: unknown, extra: Record<string, string> = {}): Promise<T> {
      const response = await request.post(`/api/v1${path}`, { headers: { ...headers, 'Idempotency-Key': crypto.randomUUID(), ...extra }, data })
      expect(response.ok(), `POST ${path}: ${await response.text()}`).toBeTruthy()
      return (await response.json()) as T
    },
    async patch<T = any>(path: string, data: unknown): Promise<T> {
      const response = await request.patch(`/api/v1${path}`, { headers, data })
      expect(response.ok(), `PATCH ${path}: ${await response.text()}`).toBeTruthy()
      return (await response.json()) as T
    },
  }
}

/** Runs a scheduler job with the CLI on the e2e service's database (console/e2e/serve.sh writes its URL). */
export function runJob(name: string): string {
  const consoleDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const databaseUrl = readFileSync(resolve(consoleDir, 'test-results/e2e-database-url'), 'utf8').trim()
  const flask = process.env.E2E_FLASK ?? resolve(consoleDir, '../.venv/bin/flask')
  return execFileSync(flask, ['jobs', 'run', name], {
    cwd: resolve(consoleDir, '..'),
    env: { ...process.env, DATABASE_URL: databaseUrl, PITSTOP_ENV: 'development', FLASK_APP: 'wsgi.py' },
    encoding: 'utf8',
    timeout: 60_000,
  })
}

/** Opens the console at `path` signed in as `username` (the token goes into this tab's sessionStorage). */
export async function signIn(page: Page, request: APIRequestContext, username: string, path = '/console/') {
  const session = await staffSession(request, username)
  await page.addInitScript((saved) => {
    if (!sessionStorage.getItem('pitstop.session')) sessionStorage.setItem('pitstop.session', JSON.stringify(saved))
  }, { token: session.token, staff: session.staff, storeId: session.staff.store_ids[0] ?? 1 })
  await page.goto(path)
}

/**
 * Picks an option of an Element Plus select by its label (the dropdown is teleported to the body):
 * opens the select, waits until its dropdown has finished zooming open, clicks the option. Clicked
 * mid-zoom, the option is "not stable" and Playwright retries; a later retry scrolls the option to
 * the top of the window, which scrolls the page behind a dialog while the dropdown stays by its
 * select, so the click can land beside the option and choose nothing.
 */
export async function chooseOption(page: Page, select: Locator, name: string | RegExp) {
  await select.click()
  const option = page.getByRole('option', { name, exact: typeof name === 'string' }).first()
  await expect(option).toBeVisible()
  await option.evaluate(untilOpened)
  await option.click()
}

/** In the page: resolves once every animation of the element or of what holds it (the dropdown's
 * zoom, a CSS transition that starts a frame after the list appears) has finished. */
async function untilOpened(element: Element) {
  await new Promise((frame) => requestAnimationFrame(() => requestAnimationFrame(frame)))
  const around = element.ownerDocument.getAnimations().filter((animation) => {
    const target = animation.effect instanceof KeyframeEffect ? animation.effect.target : null
    return target !== null && target.contains(element)
  })
  await Promise.all(around.map((animation) => animation.finished.catch(() => undefined)))
}

/** Counts what the user does: a click, a key press, or a whole typed text counts as one action. */
export class ActionCounter {
  count = 0
  constructor(private readonly page: Page) {}
  async click(selector: string) {
    this.count += 1
    await this.page.locator(selector).click()
  }
  async type(selector: string, text: string) {
    this.count += 1
    await this.page.locator(selector).pressSequentially(text)
  }
  async press(key: string) {
    this.count += 1
    await this.page.keyboard.press(key)
  }
}

/** Fails the test on any Content-Security-Policy violation or uncaught error in the page. */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) errors.push(message.text())
      })
      await use(errors)
      expect(errors, 'errors in the page').toEqual([])
    },
    { auto: true },
  ],
})
export { expect }
