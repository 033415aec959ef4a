// What the cashier types into the counter's one search field, made into one of the lookups the
// service offers: a plate fragment (GET /vehicles?plate=), a phone number or a member's name
// (POST /members/search, in the body: phone numbers never travel in a URL), or a scanned
// member-card QR (GET /vehicles with the Member-Card-Token header).
// The rules mirror the service's: app/common/plates.py (normalisation, plate shape),
// app/members/counter_lookup.py (3 characters at least) and app/members/services.py (card tokens).

/** Province characters a plate starts with, in the order the picker shows them. */
export const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领'

/** The service refuses shorter plate fragments (422 plate_fragment_too_short). */
export const MIN_PLATE_FRAGMENT = 3
/** The last digits of a phone number worth searching by. */
export const MIN_PHONE_TAIL = 4
/** The longest plate (new-energy plates have 8 characters). */
const MAX_PLATE = 8
/** A run of this many digits is (part of) a phone number: no plate holds that many. */
const PHONE_SHAPED_DIGITS = 7

// A province, the issuing city's letter (no I or O), then 5 characters (the last may be 学/警/港/澳/挂)
// or 6 for a new-energy plate: the service's validate_plate.
const FULL_PLATE = new RegExp(`^[${PROVINCES}][A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳]|[A-HJ-NP-Z0-9]{6})$`)
const PLATE_CHARS = new RegExp(`^[${PROVINCES}]?[A-Z0-9]*[挂学警港澳]?$`)
// Spaces (including the ideographic one), dots and dashes people or plate stickers put in.
const SEPARATORS = /[\s.·•・\u2010-\u2015\u2212-]+/g
// A member-card QR carries a signed token: three base64url parts (the service's looks_like_card_token).
const CARD_TOKEN = /^[\w-]+\.[\w-]+\.[\w-]+$/
const CARD_TOKEN_MIN_LENGTH = 61

export type CounterQuery =
  /** Nothing typed yet. */
  | { kind: 'empty' }
  /** A plate fragment too short to search by (fewer than MIN_PLATE_FRAGMENT characters). */
  | { kind: 'too_short'; text: string }
  /** Part of a plate, or a whole one (`full`): search the cars. */
  | { kind: 'plate'; text: string; full: boolean }
  /** 4–6 digits: the end of a phone number or a run of plate digits, so both are searched. */
  | { kind: 'digits'; text: string }
  /** A whole mobile number (11 digits) or its last 7–10 digits: search the members. */
  | { kind: 'phone'; text: string; whole: boolean }
  /** A member's name (anything with characters no plate has): search the members. */
  | { kind: 'name'; text: string }
  /** A scanned member-card QR: the member's cars. */
  | { kind: 'card'; token: string }
  /** Neither a plate, a phone number nor a card (too long, stray characters). */
  | { kind: 'unknown'; text: string }

/** Full-width ASCII (ＡＢＣ１２３, the IME's letters and digits) to half-width, and the ideographic space to a space. */
function toHalfWidth(text: string): string {
  return text.replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ')
}

/**
 * The text as the service compares plates and phone numbers: half-width, upper case, without
 * spaces, `·`, `•`, dots or dashes (`粤b·１２３ ４５` → `粤B12345`).
 */
export function normalizeCounterInput(raw: string): string {
  return toHalfWidth(raw).replace(SEPARATORS, '').toUpperCase()
}

/** Whether a normalised text is a whole plate (the shape the service accepts for a new car). */
export function isFullPlate(plate: string): boolean {
  return FULL_PLATE.test(plate)
}

/** A stored plate as people read it: 粤B12345 → 粤B·12345. */
export function displayPlate(plate: string): string {
  return plate.length > 2 ? `${plate.slice(0, 2)}·${plate.slice(2)}` : plate
}

/** Whether the raw text is a scanned member-card token (it must not be normalised: case matters). */
export function isCardToken(raw: string): boolean {
  const text = raw.trim()
  return text.length >= CARD_TOKEN_MIN_LENGTH && CARD_TOKEN.test(text)
}

/** What the typed (or scanned) text asks for. */
export function classifyCounterInput(raw: string): CounterQuery {
  if (isCardToken(raw)) return { kind: 'card', token: raw.trim() }
  let text = normalizeCounterInput(raw)
  if (text === '') return { kind: 'empty' }
  // A number written with its country code: +86 138…
  const international = /^\+?86(1\d{10})$/.exec(text)
  if (international) text = international[1]!
  if (/^\d+$/.test(text)) {
    if (text.length === 11 && text.startsWith('1')) return { kind: 'phone', text, whole: true }
    // Never part of a plate (and the service refuses such a run of digits in a URL).
    if (text.length >= PHONE_SHAPED_DIGITS && text.length < 11) return { kind: 'phone', text, whole: false }
    if (text.length >= 11) return { kind: 'unknown', text }
    if (text.length >= MIN_PHONE_TAIL) return { kind: 'digits', text }
    return text.length >= MIN_PLATE_FRAGMENT ? { kind: 'plate', text, full: false } : { kind: 'too_short', text }
  }
  if (PLATE_CHARS.test(text)) {
    if (text.length > MAX_PLATE) return { kind: 'unknown', text }
    if (text.length < MIN_PLATE_FRAGMENT) return { kind: 'too_short', text }
    return { kind: 'plate', text, full: isFullPlate(text) }
  }
  // Chinese characters beyond a leading province, or other letters: a member's name, as typed.
  const name = toHalfWidth(raw).trim()
  return /[\u4e00-\u9fff]/.test(name) ? { kind: 'name', text: name } : { kind: 'unknown', text }
}

/** The text with `province` as its first character (replacing a province already there). */
export function withProvince(text: string, province: string): string {
  const rest = text.trimStart()
  return province + (rest && PROVINCES.includes(rest[0]!) ? rest.slice(1) : rest)
}
