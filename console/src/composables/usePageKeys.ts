// Keyboard shortcuts of one screen: a keydown listener on the window while the screen is shown.
// Shortcuts that are plain characters must not fire while the cashier types in a field, so the
// handler is told whether the key was pressed in one (`typing`).
import { onBeforeUnmount, onMounted } from 'vue'

/** An element that takes typed text (an input, a text area, a select or an editable region). */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false
  const element = target as HTMLElement
  const tag = element.tagName.toLowerCase()
  if (tag === 'textarea' || tag === 'select' || element.isContentEditable) return true
  if (tag !== 'input') return false
  const type = ((element as HTMLInputElement).type || 'text').toLowerCase()
  return !['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file', 'image'].includes(type)
}

/**
 * Moves the focus to `target` once a page has loaded, unless the user already went to a field
 * that takes typing while it loaded (the mileage, say): their keys stay where they typed them.
 */
export function focusUnlessTyping(target: { focus(): void } | null | undefined): void {
  if (!isTextEntry(document.activeElement)) target?.focus()
}

function insideOverlay(target: EventTarget | null): boolean {
  return typeof (target as Element | null)?.closest === 'function' && (target as Element).closest('.el-overlay') !== null
}

/** The key without modifiers, or null when Ctrl, Alt or Meta is held (the browser's own shortcuts). */
export function plainKey(event: KeyboardEvent): string | null {
  return event.ctrlKey || event.altKey || event.metaKey ? null : event.key
}

export function usePageKeys(handler: (event: KeyboardEvent, typing: boolean) => void) {
  const listener = (event: KeyboardEvent) => {
    if (event.defaultPrevented || event.isComposing) return
    // A message box or dialog on top (Element Plus overlays) owns the keyboard.
    if (insideOverlay(event.target) || document.querySelector('.el-message-box') !== null) return
    handler(event, isTextEntry(event.target))
  }
  onMounted(() => window.addEventListener('keydown', listener))
  onBeforeUnmount(() => window.removeEventListener('keydown', listener))
}
