import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick } from 'vue'
import { ApiError } from '@/api/client'
import type { CounterQuery } from '@/utils/counterInput'
import { useCounterSearch } from './useCounterSearch'

interface Pending {
  query: CounterQuery
  signal: AbortSignal
  resolve: (answer: string) => void
  reject: (cause: unknown) => void
}

/** A lookup whose answers the test hands out, in any order. */
function fakeLookup() {
  const calls: Pending[] = []
  const lookup = (query: CounterQuery, signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      calls.push({ query, signal, resolve, reject })
    })
  return { calls, lookup }
}

function setup(interval = 150) {
  const fake = fakeLookup()
  const scope = effectScope()
  const search = scope.run(() => useCounterSearch(fake.lookup, interval))!
  return { ...fake, search, scope }
}

async function type(search: { text: { value: string } }, text: string) {
  search.text.value = text
  await nextTick()
}

const flush = () => new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => nextTick())

describe('useCounterSearch', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('searches at once after a pause, and a burst of keys once when it stops', async () => {
    const { calls, search, scope } = setup()
    await type(search, 'b1')
    expect(calls).toHaveLength(0) // too short to search
    await type(search, 'b12')
    expect(calls.map((c) => c.query)).toEqual([{ kind: 'plate', text: 'B12', full: false }])
    await type(search, 'b123')
    await type(search, 'b1234')
    expect(calls).toHaveLength(1)
    vi.advanceTimersByTime(150)
    expect(calls.map((c) => c.query)).toEqual([
      { kind: 'plate', text: 'B12', full: false },
      { kind: 'plate', text: 'B1234', full: false },
    ])
    expect(calls[0]!.signal.aborted).toBe(true)
    scope.stop()
  })

  it('never lets an older answer replace a newer one', async () => {
    const { calls, search, scope } = setup(0)
    await type(search, 'b12')
    await type(search, 'b123')
    calls[1]!.resolve('answer for B123')
    await flush()
    calls[0]!.resolve('answer for B12')
    await flush()
    expect(search.results.value).toBe('answer for B123')
    expect(search.current.value).toBe(true)
    scope.stop()
  })

  it('answers Enter with what is in the field now, without waiting for the pause', async () => {
    const { calls, search, scope } = setup()
    await type(search, 'b12')
    calls[0]!.resolve('answer for B12')
    await flush()
    await type(search, '粤b12345')
    expect(calls).toHaveLength(1) // waiting for the pause
    const settled = search.settle()
    expect(calls).toHaveLength(2)
    expect(calls[1]!.query).toEqual({ kind: 'plate', text: '粤B12345', full: true })
    calls[1]!.resolve('answer for 粤B12345')
    expect(await settled).toBe('fresh')
    expect(search.results.value).toBe('answer for 粤B12345')
    expect(await search.settle()).toBe('ready')
    vi.advanceTimersByTime(500)
    expect(calls).toHaveLength(2) // the pending search was the same one
    scope.stop()
  })

  it('shows a refusal in Chinese and tries again on Enter', async () => {
    const { calls, search, scope } = setup(0)
    await type(search, '13800000001')
    calls[0]!.reject(new ApiError('network_error', 0, 'offline'))
    await flush()
    expect(search.error.value).toBe('网络连接失败，请检查网络后重试')
    const settled = search.settle()
    expect(calls).toHaveLength(2)
    calls[1]!.resolve('member')
    expect(await settled).toBe('fresh')
    expect(search.error.value).toBeNull()
    expect(search.results.value).toBe('member')
    scope.stop()
  })

  it('clears the answer when the field no longer holds anything to search', async () => {
    const { calls, search, scope } = setup(0)
    await type(search, 'b12')
    calls[0]!.resolve('answer')
    await flush()
    await type(search, 'b')
    expect(search.results.value).toBeNull()
    expect(await search.settle()).toBe('none')
    scope.stop()
  })
})
