// For live figures that follow what the user types (a segment's count as its rules change):
// wait until the typing pauses, and show only the answer to the latest question — an answer
// that arrives after a newer question was asked is dropped, whatever order the answers come in.

export interface Debounced<A extends unknown[]> {
  (...args: A): void
  cancel(): void
  /** Runs a pending call now (if any). */
  flush(): void
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | null = null
  let pending: A | null = null
  const debounced = ((...args: A) => {
    pending = args
    if (timer !== null) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      const call = pending
      pending = null
      if (call) fn(...call)
    }, ms)
  }) as Debounced<A>
  debounced.cancel = () => {
    if (timer !== null) clearTimeout(timer)
    timer = null
    pending = null
  }
  debounced.flush = () => {
    if (timer === null) return
    clearTimeout(timer)
    timer = null
    const call = pending
    pending = null
    if (call) fn(...call)
  }
  return debounced
}

export type Outcome<T> = { current: true; value: T } | { current: false }

/** Numbers each request; only the latest one's answer (or failure) is reported as current. */
export class LatestOnly {
  private latest = 0

  async run<T>(task: () => Promise<T>): Promise<Outcome<T>> {
    this.latest += 1
    const mine = this.latest
    try {
      const value = await task()
      return mine === this.latest ? { current: true, value } : { current: false }
    } catch (error) {
      if (mine !== this.latest) return { current: false }
      throw error
    }
  }

  /** Makes every answer still on its way stale (the question was withdrawn). */
  invalidate(): void {
    this.latest += 1
  }
}
