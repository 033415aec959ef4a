// WeChat subscribe-message fields as the service checks them (app/wechat/templates.py FIELD_RULES):
// a field's key names its type (thing1, car_number2, date3…), each type has a length limit, and
// free text (thing, name) is cut to fit while the others are refused. Shown while marketing types;
// the service decides when the campaign is created (its refusal is shown at the field).

export interface FieldRule {
  label: string
  limit: number
  /** Too long is cut at sending (…) rather than refused. */
  truncated: boolean
  /** What the value must look like, for types with a format. */
  format?: string
}

export const FIELD_RULES: Record<string, FieldRule> = {
  thing: { label: '事项', limit: 20, truncated: true },
  name: { label: '姓名', limit: 10, truncated: true },
  phrase: { label: '短语', limit: 5, truncated: false, format: '5 个以内汉字' },
  number: { label: '数字', limit: 32, truncated: false, format: '数字' },
  letter: { label: '字母', limit: 32, truncated: false, format: '英文字母' },
  symbol: { label: '符号', limit: 5, truncated: false },
  character_string: { label: '编号', limit: 32, truncated: false, format: '字母、数字或符号' },
  phone_number: { label: '电话', limit: 17, truncated: false, format: '电话号码' },
  car_number: { label: '车牌号', limit: 8, truncated: false },
  amount: { label: '金额', limit: 12, truncated: false, format: '如 ¥12.50 或 12.50元' },
  time: { label: '时间', limit: 30, truncated: false, format: '如 2026-01-01 09:30' },
  date: { label: '日期', limit: 30, truncated: false, format: '如 2026-01-01' },
}

/** The placeholders a campaign text may use (app/marketing/message_templates.py PLACEHOLDERS), and
 * the sample each is checked with when the campaign is created (SAMPLE_CONTEXT there). */
export const PLACEHOLDERS: { key: string; label: string; sample: string }[] = [
  { key: 'nickname', label: '车主昵称', sample: '车主' },
  { key: 'plate', label: '车牌号', sample: '粤B12345' },
  { key: 'date', label: '日期', sample: '2026-01-01' },
  { key: 'tier', label: '会员等级', sample: '会员' },
  { key: 'store', label: '门店', sample: '门店' },
  { key: 'detail', label: '详情', sample: '服务' },
  { key: 'ref_id', label: '编号', sample: '1' },
]
const SAMPLES = Object.fromEntries(PLACEHOLDERS.map((p) => [p.key, p.sample]))
const PLACEHOLDER = /\{([a-z_]+)\}/g
const KEY = /^([a-z_]+?)(\d+)$/

/** The type a field key names ("thing2" → "thing"), or null when WeChat has no such type. */
export function fieldType(key: string): string | null {
  const match = KEY.exec(key.trim())
  return match && match[1]! in FIELD_RULES ? match[1]! : null
}

/** The text as the service checks it: placeholders filled with their samples, trimmed. */
export function sampleText(text: string): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => (name in SAMPLES ? SAMPLES[name]! : whole)).trim()
}

/** Characters as WeChat counts them (code points, so one emoji or rare character is one). */
export function charCount(text: string): number {
  return [...text].length
}

export interface FieldStatus {
  type: string | null
  rule: FieldRule | null
  length: number
  limit: number | null
  /** 'ok', 'cut' (too long, will be cut), 'over' (too long, will be refused), 'unknown' (no such type), 'empty'. */
  state: 'ok' | 'cut' | 'over' | 'unknown' | 'empty'
}

export function fieldStatus(key: string, text: string): FieldStatus {
  const type = fieldType(key)
  const rule = type ? FIELD_RULES[type]! : null
  const length = charCount(sampleText(text))
  if (!rule) return { type, rule, length, limit: null, state: 'unknown' }
  if (length === 0) return { type, rule, length, limit: rule.limit, state: 'empty' }
  if (length > rule.limit) return { type, rule, length, limit: rule.limit, state: rule.truncated ? 'cut' : 'over' }
  return { type, rule, length, limit: rule.limit, state: 'ok' }
}

/** Placeholders used in a text that the service does not know ({name} → "name"). */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !(name in SAMPLES))
}

/** A new field's key: WeChat numbers a template's fields once across types (thing1, date2, thing3). */
export function nextKey(type: string, taken: string[]): string {
  const numbers = taken.map((key) => Number(KEY.exec(key.trim())?.[2] ?? 0))
  return `${type}${Math.max(0, ...numbers) + 1}`
}
