// Where a refused campaign goes back to: the wizard step and the message fields the service's
// refusal names (its details), so marketing sees the service's words at the field that broke them.

export type Step = 'audience' | 'gift' | 'message' | 'schedule'

export interface Refusal {
  code: string
  message: string
  details: Record<string, unknown>
}

export interface Placement {
  step: Step
  /** Message field keys (thing1…) the refusal is about, with the text to show under each. */
  fields: Record<string, string>
  /** The text to show on the step itself (when no single field is to blame). */
  general: string
}

const STEP_OF_CODE: Record<string, Step> = {
  segment_not_found: 'audience',
  coupon_template_not_found: 'gift',
  marketing_wording: 'message',
  template_field_invalid: 'message',
  template_fields_required: 'message',
  unknown_placeholder: 'message',
  unknown_template_key: 'message',
}

const STEP_OF_BODY_FIELD: Record<string, Step> = {
  name: 'audience',
  segment_id: 'audience',
  coupon_template_id: 'gift',
  message: 'message',
  send_at: 'schedule',
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

/** Where to show a refusal of POST /campaigns; `fieldTexts` are the message fields as sent (key → text). */
export function placeRefusal(refusal: Refusal, fieldTexts: Record<string, string>): Placement {
  const { code, message, details } = refusal
  const field = typeof details.field === 'string' ? details.field : null
  if (code === 'marketing_wording' && field) {
    const words = strings(details.words)
    return { step: 'message', fields: { [field]: words.length ? `${message}（含：${words.join('、')}）` : message }, general: '' }
  }
  if (code === 'template_field_invalid' && field) {
    return { step: 'message', fields: { [field]: message }, general: '' }
  }
  if (code === 'unknown_placeholder') {
    const names = strings(details.placeholders)
    const fields: Record<string, string> = {}
    for (const [key, text] of Object.entries(fieldTexts)) {
      const used = names.filter((name) => text.includes(`{${name}}`))
      if (used.length) fields[key] = `${message}：${used.map((n) => `{${n}}`).join('、')}`
    }
    return { step: 'message', fields, general: Object.keys(fields).length ? '' : message }
  }
  const step = STEP_OF_CODE[code]
  if (step) return { step, fields: {}, general: message }
  if (code === 'validation_error' && details.fields && typeof details.fields === 'object') {
    const first = Object.keys(details.fields as object).find((name) => name in STEP_OF_BODY_FIELD)
    if (first) return { step: STEP_OF_BODY_FIELD[first]!, fields: {}, general: message }
  }
  return { step: 'schedule', fields: {}, general: message }
}
