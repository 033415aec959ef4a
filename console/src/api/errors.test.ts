import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ERROR_MESSAGES, messageFor } from './errors'

interface CatalogueEntry {
  statuses: number[]
  meaning: string
}

// The service's document (written by `flask openapi write console/openapi.json`), read from disk.
const documentPath = resolve(dirname(fileURLToPath(import.meta.url)), '../../openapi.json')
const document = JSON.parse(readFileSync(documentPath, 'utf8')) as {
  'x-error-codes'?: Record<string, CatalogueEntry>
}
const catalogue = document['x-error-codes'] ?? {}
const HAN = /[\u4e00-\u9fff]/

describe('error messages', () => {
  it('reads a catalogue of codes from openapi.json', () => {
    expect(Object.keys(catalogue).length).toBeGreaterThan(0)
  })

  it('has a Chinese message for every code of the service', () => {
    const missing = Object.keys(catalogue).filter((code) => !Object.prototype.hasOwnProperty.call(ERROR_MESSAGES, code))
    expect(missing, `codes without a message in src/api/errors.ts: ${missing.join(', ')}`).toEqual([])
  })

  it('has no empty or non-Chinese message', () => {
    const blank = Object.entries(ERROR_MESSAGES)
      .filter(([, message]) => !message.trim() || !HAN.test(message))
      .map(([code]) => code)
    expect(blank, `codes whose message is empty or not Chinese: ${blank.join(', ')}`).toEqual([])
  })

  it('knows the network failure, which the service never sends', () => {
    expect(ERROR_MESSAGES.network_error).toMatch(/网络/)
  })

  it('has no message for a code the service no longer has', () => {
    const stale = Object.keys(ERROR_MESSAGES).filter((code) => code !== 'network_error' && !(code in catalogue))
    expect(stale, `messages for codes not in openapi.json: ${stale.join(', ')}`).toEqual([])
  })
})

describe('messageFor', () => {
  it('gives the Chinese message of a known code, whatever the service said', () => {
    expect(messageFor('insufficient_balance', 'The stored-value balance is not enough.')).toBe('储值余额不足')
  })

  it("falls back to the service's words for a code it does not know", () => {
    expect(messageFor('some_new_code', '新规则不允许')).toBe('新规则不允许')
  })

  it('names the code when neither knows better', () => {
    expect(messageFor('some_new_code')).toBe('操作失败（some_new_code）')
    expect(messageFor('some_new_code', '   ')).toBe('操作失败（some_new_code）')
    expect(messageFor('')).toBe('操作失败（未知错误）')
  })

  it('does not mistake object properties for codes', () => {
    expect(messageFor('constructor', 'x')).toBe('x')
    expect(messageFor('toString')).toBe('操作失败（toString）')
  })
})
