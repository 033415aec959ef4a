// One independently loaded part of a screen: its data, whether it is loading, and the Chinese
// message of its failure. A newer load supersedes an older one still under way, so parts can be
// started together (no waterfall) and restarted when what they depend on turns out different.
import { ref, shallowRef } from 'vue'
import { ApiError } from '@/api/client'

export function useSection<T>() {
  const data = shallowRef<T | null>(null)
  const error = ref<string | null>(null)
  const loading = ref(false)
  let generation = 0
  let pending: Promise<T | null> = Promise.resolve(null)

  function load(run: () => Promise<T>): Promise<T | null> {
    const mine = ++generation
    loading.value = true
    error.value = null
    pending = run().then(
      (value) => {
        if (mine !== generation) return null
        data.value = value
        loading.value = false
        return value
      },
      (cause: unknown) => {
        if (mine !== generation) return null
        data.value = null
        error.value = cause instanceof ApiError ? cause.message : String(cause)
        loading.value = false
        return null
      },
    )
    return pending
  }

  /** Nothing to show (and an answer still on its way is dropped). */
  function clear() {
    generation += 1
    data.value = null
    error.value = null
    loading.value = false
    pending = Promise.resolve(null)
  }

  /** The data once the load under way (if any) has answered. */
  async function settled(): Promise<T | null> {
    let waited: Promise<T | null>
    do {
      waited = pending
      await waited
    } while (waited !== pending)
    return data.value
  }

  return { data, error, loading, load, clear, settled }
}

export type Section<T> = ReturnType<typeof useSection<T>>
