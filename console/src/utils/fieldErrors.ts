// Turns a refusal from the service into messages beside the form fields they concern: a
// `validation_error` names its fields (details.fields, marshmallow's words, shown in Chinese here);
// a rule with its own code (weak_password, username_taken...) belongs to the field a form maps it to.
import { ApiError } from '@/api/client'

export type FieldErrors = Record<string, string>

// marshmallow's messages as the service sends them, in the words staff read.
const PATTERNS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^Missing data for required field\.$/, () => '必填'],
  [/^Field may not be null\.$/, () => '不能为空'],
  [/^Unknown field\.$/, () => '不接受此字段'],
  [/^Not a valid integer\.$/, () => '请输入整数'],
  [/^Not a valid (number|boolean|string|date|list|mapping)\.?/, () => '格式不正确'],
  [/^Must be greater than or equal to (-?\d+) and less than or equal to (-?\d+)\.$/, (m) => `应在 ${m[1]}–${m[2]} 之间`],
  [/^Must be greater than or equal to (-?\d+)\.$/, (m) => `不能小于 ${m[1]}`],
  [/^Must be less than or equal to (-?\d+)\.$/, (m) => `不能大于 ${m[1]}`],
  [/^Length must be between (\d+) and (\d+)\.$/, (m) => `长度应为 ${m[1]}–${m[2]} 个字符`],
  [/^Shorter than minimum length (\d+)\.$/, (m) => `至少 ${m[1]} 个字符`],
  [/^Longer than maximum length (\d+)\.$/, (m) => `最多 ${m[1]} 个字符`],
  [/^Must be one of: /, () => '请选择列表中的值'],
  [/^String does not match expected pattern\.$/, () => '格式不正确'],
]

/** One marshmallow message in Chinese; a message this table does not know is shown as sent. */
export function validationText(message: string): string {
  for (const [pattern, text] of PATTERNS) {
    const match = pattern.exec(message)
    if (match) return text(match)
  }
  return message
}

function firstMessage(value: unknown): string | null {
  if (typeof value === 'string') return value
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = firstMessage(item)
      if (found) return found
    }
    return null
  }
  if (value && typeof value === 'object') {
    for (const item of Object.values(value as Record<string, unknown>)) {
      const found = firstMessage(item)
      if (found) return found
    }
  }
  return null
}

/**
 * The messages to show beside each field for `error` (empty when the refusal is about no field).
 * `codeFields` maps a rule's own code to the field it concerns; its message is errors.ts's Chinese text.
 */
export function fieldErrors(error: unknown, codeFields: Record<string, string> = {}): FieldErrors {
  if (!(error instanceof ApiError)) return {}
  if (error.code === 'validation_error') {
    const fields = error.details.fields
    if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return {}
    const result: FieldErrors = {}
    for (const [name, messages] of Object.entries(fields as Record<string, unknown>)) {
      const message = firstMessage(messages)
      if (message) result[name] = validationText(message)
    }
    return result
  }
  const field = codeFields[error.code]
  return field ? { [field]: error.message } : {}
}
