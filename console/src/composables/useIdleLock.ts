// Locks the console after a quiet spell: a counter PC is shared, and the next person must not act
// under the last one's name. Any key, click or touch restarts the clock.
import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue'

const EVENTS = ['keydown', 'mousedown', 'mousemove', 'touchstart', 'wheel'] as const

export function useIdleLock(minutes: Ref<number>, lock: () => void) {
  let timer: ReturnType<typeof setTimeout> | undefined

  function restart() {
    clearTimeout(timer)
    if (minutes.value > 0) timer = setTimeout(lock, minutes.value * 60_000)
  }

  onMounted(() => {
    EVENTS.forEach((name) => window.addEventListener(name, restart, { passive: true }))
    restart()
  })
  onBeforeUnmount(() => {
    clearTimeout(timer)
    EVENTS.forEach((name) => window.removeEventListener(name, restart))
  })
  watch(minutes, restart)
}
