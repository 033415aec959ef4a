import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LatestOnly, debounce } from './latest'

describe('debounce', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('calls once, with the last arguments, after the pause', () => {
    const fn = vi.fn()
    const debounced = debounce(fn, 300)
    debounced(1)
    vi.advanceTimersByTime(200)
    debounced(2)
    vi.advanceTimersByTime(299)
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fn).toHaveBeenCalledTimes(1)
    expect(fn).toHaveBeenCalledWith(2)
  })

  it('can be cancelled or run now', () => {
    const fn = vi.fn()
    const debounced = debounce(fn, 300)
    debounced('a')
    debounced.cancel()
    vi.advanceTimersByTime(1000)
    expect(fn).not.toHaveBeenCalled()
    debounced('b')
    debounced.flush()
    expect(fn).toHaveBeenCalledWith('b')
    debounced.flush()
    expect(fn).toHaveBeenCalledTimes(1)
  })
})

function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok
    reject = fail
  })
  return { promise, resolve, reject }
}

describe('LatestOnly', () => {
  it('drops an answer that comes back after a newer question', async () => {
    const latest = new LatestOnly()
    const slow = deferred<number>()
    const fast = deferred<number>()
    const first = latest.run(() => slow.promise)
    const second = latest.run(() => fast.promise)
    fast.resolve(2)
    expect(await second).toEqual({ current: true, value: 2 })
    slow.resolve(1)
    expect(await first).toEqual({ current: false })
  })

  it('reports the failure of the latest question only', async () => {
    const latest = new LatestOnly()
    const old = deferred<number>()
    const first = latest.run(() => old.promise)
    const second = latest.run(() => Promise.reject(new Error('refused')))
    await expect(second).rejects.toThrow('refused')
    old.reject(new Error('too late'))
    expect(await first).toEqual({ current: false })
  })

  it('makes answers on their way stale when invalidated', async () => {
    const latest = new LatestOnly()
    const pending = deferred<string>()
    const run = latest.run(() => pending.promise)
    latest.invalidate()
    pending.resolve('x')
    expect(await run).toEqual({ current: false })
  })
})
