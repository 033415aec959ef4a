import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/api/client'
import { useQuote } from './useQuote'

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (cause: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('useQuote', () => {
  it('quotes once after the changes pause, with the last body', async () => {
    const fetch = vi.fn(async (body: number) => body * 10)
    const q = useQuote(fetch, 200)
    q.schedule(1)
    q.schedule(2)
    q.schedule(3)
    expect(q.pending.value).toBe(true)
    await vi.advanceTimersByTimeAsync(199)
    expect(fetch).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(fetch).toHaveBeenCalledWith(3)
    expect(q.quote.value).toBe(30)
    expect(q.quoted.value).toBe(3)
    expect(q.pending.value).toBe(false)
  })

  it('keeps only the newest answer when an earlier one arrives late', async () => {
    const first = deferred<string>()
    const second = deferred<string>()
    const fetch = vi.fn().mockReturnValueOnce(first.promise).mockReturnValueOnce(second.promise)
    const q = useQuote<string, string>(fetch, 10)
    const a = q.now('a')
    const b = q.now('b')
    second.resolve('quote b')
    await b
    first.resolve('quote a')
    await a
    expect(q.quote.value).toBe('quote b')
  })

  it('keeps the refusal of the newest quote and clears it on the next answer', async () => {
    const fetch = vi.fn().mockRejectedValueOnce(new ApiError('points_over_limit', 422, 'too many')).mockResolvedValueOnce('ok')
    const q = useQuote<string, string>(fetch, 10)
    await q.now('x')
    expect(q.error.value?.code).toBe('points_over_limit')
    await q.now('y')
    expect(q.error.value).toBeNull()
    expect(q.quote.value).toBe('ok')
  })

  it('flush runs a waiting quote at once', async () => {
    const fetch = vi.fn(async (body: string) => `quote ${body}`)
    const q = useQuote(fetch, 10_000)
    q.schedule('late')
    await q.flush()
    expect(q.quote.value).toBe('quote late')
    expect(q.pending.value).toBe(false)
  })
})
