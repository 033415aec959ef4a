// Asks the server what settling would do (POST .../quote) after the cashier stops changing the
// tenders for a moment; only the newest answer counts, so a slow earlier quote never overwrites a
// later one. `flush()` runs a waiting quote at once and resolves when the newest answer is in.
import { ref, shallowRef } from 'vue'
import { ApiError } from '@/api/client'

export function useQuote<B, Q>(fetchQuote: (body: B) => Promise<Q>, delayMs = 250) {
  const quote = shallowRef<Q | null>(null)
  /** What the shown quote was asked for (its rows line up with the quote's tenders). */
  const quoted = shallowRef<B | null>(null)
  const error = shallowRef<ApiError | null>(null)
  /** A change is waiting for its quote (debounce running or request in flight). */
  const pending = ref(false)
  let sequence = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let waitingBody: B | undefined
  let latest: Promise<void> = Promise.resolve()

  async function run(body: B): Promise<void> {
    const mine = ++sequence
    pending.value = true
    try {
      const answer = await fetchQuote(body)
      if (mine !== sequence) return
      quote.value = answer
      quoted.value = body
      error.value = null
    } catch (cause) {
      if (mine !== sequence) return
      error.value = cause instanceof ApiError ? cause : new ApiError('network_error', 0, String(cause))
    } finally {
      if (mine === sequence) pending.value = false
    }
  }

  /** Quote `body` once the changes pause. */
  function schedule(body: B) {
    pending.value = true
    waitingBody = body
    clearTimeout(timer)
    timer = setTimeout(() => {
      timer = undefined
      const next = waitingBody as B
      waitingBody = undefined
      latest = run(next)
    }, delayMs)
  }

  /** Quote `body` now (the first load, or a question such as "what remains without this row"). */
  function now(body: B): Promise<void> {
    clearTimeout(timer)
    timer = undefined
    waitingBody = undefined
    latest = run(body)
    return latest
  }

  /** Resolves when the newest change has its answer. */
  async function flush(): Promise<void> {
    if (timer !== undefined && waitingBody !== undefined) await now(waitingBody)
    else await latest
  }

  function dispose() {
    clearTimeout(timer)
    sequence += 1
  }

  return { quote, quoted, error, pending, schedule, now, flush, dispose }
}
