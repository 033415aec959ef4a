// What the owner types into a setting, as the body of the change: whole numbers as numbers, an empty
// optional field as null, money in yuan as fen. Text that is not a number is sent as typed, so the
// service's own refusal ("not a valid integer") shows beside the field; the console checks no rule.
import { parseYuan } from './money'

export type SettingKind = 'int' | 'optionalInt' | 'fen' | 'coupon' | 'clock' | 'intList'

/** A field of a settings card: the service's field name, its label, how it is typed. */
export interface SettingField {
  key: string
  label: string
  kind: SettingKind
  unit?: string
  hint?: string
}

const toHalfWidth = (text: string) => text.replace(/[\uff10-\uff19\uff0d]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).trim()

/** The draft text of a value the service sent. */
export function draftOf(kind: SettingKind, value: unknown): string | number | null {
  if (kind === 'coupon') return typeof value === 'number' ? value : null
  if (value === null || value === undefined) return ''
  if (kind === 'intList' && Array.isArray(value)) return value.join('、')
  if (kind === 'fen' && typeof value === 'number') return (value / 100).toFixed(2)
  if (kind === 'clock' && typeof value === 'number') return `${String(Math.floor(value / 60)).padStart(2, '0')}:${String(value % 60).padStart(2, '0')}`
  return String(value)
}

/** { value } to send, or { error } when money cannot be read as yuan. */
export function parseSetting(kind: SettingKind, draft: string | number | null): { value: unknown } | { error: string } {
  if (kind === 'coupon') return { value: draft === '' ? null : draft }
  const text = toHalfWidth(String(draft ?? ''))
  if (text === '') return { value: null }
  if (kind === 'intList') {
    // "30、7", "30,7" or "30 7": whole numbers as a list; anything else as typed, for the service to refuse.
    const parts = text.split(/[\s,，、]+/).filter(Boolean)
    return { value: parts.every((part) => /^\d{1,4}$/.test(part)) ? parts.map(Number) : text }
  }
  if (kind === 'fen') {
    const fen = parseYuan(text)
    return fen === null ? { error: '请输入金额（元），如 50 或 49.90' } : { value: fen }
  }
  if (kind === 'clock') {
    // A time of day (21:00) is sent as minutes after midnight, the form the service keeps.
    const match = /^(\d{1,2})[:：](\d{2})$/.exec(text)
    if (!match || Number(match[1]) > 23 || Number(match[2]) > 59) return { error: '请输入时间，如 21:00' }
    return { value: Number(match[1]) * 60 + Number(match[2]) }
  }
  return { value: /^-?\d{1,10}$/.test(text) ? Number(text) : text }
}
