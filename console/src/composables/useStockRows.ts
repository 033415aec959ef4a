// The rows of a stock form (入库, 盘点): each row a part picked by name or code and its input
// fields, walked with Enter — the part picker, then each field in turn, then the next row's part
// (a new row after the last). Ctrl+Enter stays the form's own (it submits). The forms differ only
// in their fields and what they send; this holds the rows, their keys and focus.
import { nextTick, ref, type Ref } from 'vue'
import type { PartChoice } from '@/utils/stockForms'

type Focusable = { focus: () => void }
export type KeyedRow<R> = R & { key: number }

/** Enter (without Ctrl, and not while an IME composes) runs `next` instead of the browser's default. */
export function onEnter(event: Event | KeyboardEvent, next: () => void) {
  if (!(event instanceof KeyboardEvent) || event.key !== 'Enter' || event.isComposing || event.ctrlKey || event.metaKey) return
  event.preventDefault()
  next()
}

export function useStockRows<R extends { part: PartChoice | null }>(empty: () => R, parts: () => PartChoice[]) {
  let nextKey = 1
  const newRow = (part: PartChoice | null = null): KeyedRow<R> => ({ ...empty(), ...(part ? { part } : {}), key: nextKey++ })
  const rows = ref([newRow()]) as Ref<KeyedRow<R>[]>
  // Inputs by `${row key}:${field}`; the part picker is the field "part".
  const inputs = new Map<string, Focusable>()

  /** A template ref callback that keeps the row's input for `field`. */
  function fieldRef(key: number, field: string) {
    return (el: unknown) => {
      if (el) inputs.set(`${key}:${field}`, el as Focusable)
      else inputs.delete(`${key}:${field}`)
    }
  }

  function focus(key: number | undefined, field: string) {
    if (key !== undefined) inputs.get(`${key}:${field}`)?.focus()
  }

  async function addRow(part: PartChoice | null = null) {
    const row = newRow(part)
    rows.value.push(row)
    await nextTick()
    focus(row.key, 'part')
    return row
  }

  function removeRow(index: number) {
    rows.value.splice(index, 1)
    if (rows.value.length === 0) rows.value.push(newRow())
  }

  /** After a row's last field: the next row's part, or a new row after the last one. */
  function nextRow(index: number) {
    if (index === rows.value.length - 1) void addRow()
    else focus(rows.value[index + 1]!.key, 'part')
  }

  function reset() {
    rows.value = [newRow()]
  }

  const partName = (id: number) => parts().find((part) => part.id === id)?.name ?? `#${id}`

  return { rows, newRow, fieldRef, focus, addRow, removeRow, nextRow, reset, partName }
}
