import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Poller, type PollerEnv } from './usePolling'

function fakeEnv() {
  const doc = Object.assign(new EventTarget(), { hidden: false })
  const win = new EventTarget()
  const env: PollerEnv = { document: doc as unknown as PollerEnv['document'], window: win as unknown as PollerEnv['window'], now: () => Date.now() }
  return {
    env,
    hide() {
      doc.hidden = true
      doc.dispatchEvent(new Event('visibilitychange'))
    },
    show() {
      doc.hidden = false
      doc.dispatchEvent(new Event('visibilitychange'))
    },
    focus() {
      win.dispatchEvent(new Event('focus'))
    },
  }
}

describe('Poller', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('runs at once, then every interval, and stops for good', async () => {
    const task = vi.fn(async () => {})
    const { env } = fakeEnv()
    const poller = new Poller(task, 5000, env)
    poller.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(task).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(5000)
    expect(task).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(task).toHaveBeenCalledTimes(4)
    poller.stop()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(task).toHaveBeenCalledTimes(4)
    await poller.refresh()
    expect(task).toHaveBeenCalledTimes(4)
  })

  it('pauses while the tab is hidden and catches up when it shows again', async () => {
    const task = vi.fn(async () => {})
    const tab = fakeEnv()
    const poller = new Poller(task, 5000, tab.env)
    poller.start()
    await vi.advanceTimersByTimeAsync(0)
    tab.hide()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(task).toHaveBeenCalledTimes(1)
    tab.show()
    await vi.advanceTimersByTimeAsync(0)
    expect(task).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(5000)
    expect(task).toHaveBeenCalledTimes(3)
    poller.stop()
  })

  it('asks again on focus, but not right after a run', async () => {
    const task = vi.fn(async () => {})
    const tab = fakeEnv()
    const poller = new Poller(task, 5000, tab.env)
    poller.start()
    await vi.advanceTimersByTimeAsync(0)
    tab.focus()
    await vi.advanceTimersByTimeAsync(0)
    expect(task).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(2000)
    tab.focus()
    await vi.advanceTimersByTimeAsync(0)
    expect(task).toHaveBeenCalledTimes(2)
    // The focus run restarted the interval: the next tick is 5 s after it.
    await vi.advanceTimersByTimeAsync(4000)
    expect(task).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(1000)
    expect(task).toHaveBeenCalledTimes(3)
    poller.stop()
  })

  it('never overlaps runs, runs once more when asked during a run, and keeps polling after a failure', async () => {
    let release: () => void = () => {}
    const task = vi.fn(() => new Promise<void>((resolve) => (release = resolve)))
    const tab = fakeEnv()
    const poller = new Poller(task, 1000, tab.env)
    poller.start()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(task).toHaveBeenCalledTimes(1)
    const asked = poller.refresh()
    void poller.refresh()
    expect(task).toHaveBeenCalledTimes(1)
    task.mockImplementation(async () => {})
    release()
    await asked
    expect(task).toHaveBeenCalledTimes(2)
    task.mockImplementationOnce(async () => {
      throw new Error('network')
    })
    await vi.advanceTimersByTimeAsync(1000)
    expect(task).toHaveBeenCalledTimes(3)
    await vi.advanceTimersByTimeAsync(1000)
    expect(task).toHaveBeenCalledTimes(4)
    poller.stop()
  })
})
