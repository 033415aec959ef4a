// Keeps a screen current without reloading: runs `task` now, then every `intervalMs`, and again
// as soon as the window regains focus or the tab becomes visible. Nothing runs while the tab is
// hidden, two runs never overlap (a refresh asked during a run follows it), and everything stops
// when the screen goes away.
import { onBeforeUnmount, onMounted } from 'vue'

export interface PollerEnv {
  document: Pick<Document, 'hidden' | 'addEventListener' | 'removeEventListener'>
  window: Pick<Window, 'addEventListener' | 'removeEventListener'>
  now: () => number
}

/** A focus right after a run does not ask again (the focus and visibility events often come together). */
const FOCUS_GRACE_MS = 1000

export class Poller {
  private timer: ReturnType<typeof setTimeout> | undefined
  private running: Promise<void> | null = null
  private followUp: Promise<void> | null = null
  private started = false
  private lastRunAt = -Infinity

  constructor(
    private readonly task: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly env: PollerEnv = { document, window, now: () => Date.now() },
  ) {}

  start(): void {
    if (this.started) return
    this.started = true
    this.env.document.addEventListener('visibilitychange', this.onVisibility)
    this.env.window.addEventListener('focus', this.onFocus)
    void this.refresh()
  }

  stop(): void {
    this.started = false
    clearTimeout(this.timer)
    this.timer = undefined
    this.env.document.removeEventListener('visibilitychange', this.onVisibility)
    this.env.window.removeEventListener('focus', this.onFocus)
  }

  get active(): boolean {
    return this.started
  }

  /**
   * Runs the task now and schedules the next one. Asked during a run, it runs once more right
   * after it (that run may have read the service before what the caller just changed).
   */
  refresh(): Promise<void> {
    if (!this.started || this.env.document.hidden) return Promise.resolve()
    if (this.running) {
      this.followUp ??= this.running.then(() => {
        this.followUp = null
        return this.refresh()
      })
      return this.followUp
    }
    clearTimeout(this.timer)
    this.timer = undefined
    this.running = (async () => {
      try {
        await this.task()
      } catch {
        // The task shows its own failures; the next tick tries again.
      } finally {
        this.lastRunAt = this.env.now()
        this.running = null
        this.schedule()
      }
    })()
    return this.running
  }

  private schedule(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.started && !this.env.document.hidden) this.timer = setTimeout(() => void this.refresh(), this.intervalMs)
  }

  private readonly onVisibility = () => {
    if (this.env.document.hidden) {
      clearTimeout(this.timer)
      this.timer = undefined
    } else {
      void this.refresh()
    }
  }

  private readonly onFocus = () => {
    if (this.env.now() - this.lastRunAt >= FOCUS_GRACE_MS) void this.refresh()
  }
}

/** The Poller bound to the component: starts when mounted, stops when unmounted. */
export function usePolling(task: () => Promise<void>, intervalMs: number) {
  const poller = new Poller(task, intervalMs)
  onMounted(() => poller.start())
  onBeforeUnmount(() => poller.stop())
  return { refresh: () => poller.refresh(), poller }
}

/**
 * Follows background jobs (an import's commit, an export being written): `follow()` starts
 * polling after a job is started; it stops by itself once `pending()` no longer holds, or when a
 * run fails (the task shows its failure), and with the screen. Paused while the tab is hidden.
 */
export function useJobPolling(task: () => Promise<void>, pending: () => boolean, intervalMs = 1000) {
  const poller: Poller = new Poller(async () => {
    try {
      await task()
    } catch (cause) {
      poller.stop()
      throw cause
    }
    if (!pending()) poller.stop()
  }, intervalMs)
  onBeforeUnmount(() => poller.stop())
  return {
    /** Polls until nothing is pending (already polling: the next run covers the new job too). */
    follow: () => poller.start(),
    poller,
  }
}
