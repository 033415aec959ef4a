// A value-moving request carries an Idempotency-Key. One user action keeps one key until the
// service has answered: a retry after a network failure sends the same key, so the service
// applies the action at most once however often the cashier presses 重试.
export function newIdempotencyKey(): string {
  return crypto.randomUUID()
}

export class IdempotentAction {
  private key: string | null = null
  private subject: string | null = null

  /** The key for the current attempt: the same one again until `done()` is called. */
  get currentKey(): string {
    this.key ??= newIdempotencyKey()
    return this.key
  }

  /** The key for an action on `subject` (e.g. the plate an order is opened for): a key still
   *  pending after a network failure is sent again only for the same subject. */
  keyFor(subject: string): string {
    if (this.subject !== subject) {
      this.key = null
      this.subject = subject
    }
    return this.currentKey
  }

  /** The service answered (success or a definite refusal): the next action gets a new key. */
  done(): void {
    this.key = null
  }
}
