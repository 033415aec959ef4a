// Search as the cashier types: at most one lookup per `interval` ms (the first keystroke after a
// pause searches at once, a burst — fast typing, a scanner — is searched when it pauses), an
// older answer never replaces a newer one (the older request is aborted), and Enter can ask for
// the answer to exactly what is in the field now.
import { computed, onScopeDispose, ref, shallowRef, watch } from 'vue'
import { ApiError } from '@/api/client'
import { classifyCounterInput, type CounterQuery } from '@/utils/counterInput'

export type Lookup<R> = (query: CounterQuery, signal: AbortSignal) => Promise<R>

const SEARCHABLE: ReadonlySet<CounterQuery['kind']> = new Set(['plate', 'digits', 'phone', 'name', 'card'])

export function isSearchable(query: CounterQuery): boolean {
  return SEARCHABLE.has(query.kind)
}

function keyOf(query: CounterQuery): string {
  return JSON.stringify(query)
}

export function useCounterSearch<R>(lookup: Lookup<R>, interval = 150) {
  const text = ref('')
  const query = computed(() => classifyCounterInput(text.value))
  /** The last answer, and the query it answers (it may lag behind the field while typing). */
  const results = shallowRef<R | null>(null)
  const answered = ref<string | null>(null)
  const error = ref<string | null>(null)
  const loading = ref(false)

  let timer: ReturnType<typeof setTimeout> | undefined
  let lastSent = Number.NEGATIVE_INFINITY
  let inflight: { key: string; controller: AbortController; done: Promise<void> } | null = null

  function cancel() {
    clearTimeout(timer)
    timer = undefined
    inflight?.controller.abort()
    inflight = null
    loading.value = false
  }

  function run(current: CounterQuery): Promise<void> {
    const key = keyOf(current)
    if (inflight?.key === key) return inflight.done
    inflight?.controller.abort()
    inflight = null
    loading.value = false
    // Back to what the shown answer is for (a character typed and deleted): nothing to fetch.
    if (answered.value === key) return Promise.resolve()
    const controller = new AbortController()
    lastSent = Date.now()
    loading.value = true
    const done = lookup(current, controller.signal).then(
      (answer) => {
        if (inflight?.controller !== controller) return
        results.value = answer
        error.value = null
      },
      (cause: unknown) => {
        if (inflight?.controller !== controller) return
        results.value = null
        error.value = cause instanceof ApiError ? cause.message : String(cause)
      },
    ).finally(() => {
      if (inflight?.controller !== controller) return
      answered.value = key
      inflight = null
      loading.value = false
    })
    inflight = { key, controller, done }
    return done
  }

  function schedule(current: CounterQuery) {
    clearTimeout(timer)
    timer = undefined
    if (!isSearchable(current)) {
      cancel()
      results.value = null
      answered.value = null
      error.value = null
      return
    }
    const wait = lastSent + interval - Date.now()
    if (wait <= 0) void run(current)
    else timer = setTimeout(() => void run(query.value), wait)
  }

  watch(query, schedule)

  /**
   * The answer for what is in the field now, searching at once if it is not there yet (Enter).
   * Resolves to 'ready' when the shown answer already matched, 'fresh' when it had to wait for it,
   * and 'none' when there is nothing to search.
   */
  async function settle(): Promise<'ready' | 'fresh' | 'none'> {
    const current = query.value
    if (!isSearchable(current)) return 'none'
    const key = keyOf(current)
    if (answered.value === key && inflight === null && error.value === null) return 'ready'
    clearTimeout(timer)
    timer = undefined
    if (error.value !== null && inflight === null) answered.value = null // a failed search is tried again
    await run(current)
    return 'fresh'
  }

  /** Whether the shown answer is the one for what is in the field now. */
  const current = computed(() => answered.value === keyOf(query.value))

  onScopeDispose(cancel)

  return { text, query, results, error, loading, current, settle, cancel }
}
