// The one way the console talks to the service: openapi-fetch over the generated types.
// Every call goes through `call`, which turns a failure into an ApiError carrying the service's
// stable error code (or `network_error` when no answer came back), so screens show one Chinese
// message per code (errors.ts) and never parse bodies themselves.
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths, components } from './schema'
import { messageFor } from './errors'

export type Schemas = components['schemas']

export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly serverMessage: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(messageFor(code, serverMessage))
    this.name = 'ApiError'
  }

  /** No answer reached the console: the request may or may not have been applied. */
  get isNetwork(): boolean {
    return this.code === 'network_error'
  }
}

type TokenSource = () => string | null
type UnauthorizedHandler = (code: string) => void
let tokenSource: TokenSource = () => null
let onUnauthorized: UnauthorizedHandler = () => {}

/** The session store plugs its token and its expiry handler in here (no import circle). */
export function configureAuth(source: TokenSource, unauthorized: UnauthorizedHandler): void {
  tokenSource = source
  onUnauthorized = unauthorized
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = tokenSource()
    if (token) request.headers.set('Authorization', `Bearer ${token}`)
    return request
  },
}

export const api = createClient<paths>({ baseUrl: '' })
api.use(auth)

// Every refusal is {"error": {code, message, details}} (docs/api-conventions.md).
interface ErrorEnvelope {
  error?: { code?: string; message?: string; details?: Record<string, unknown> }
}

interface FetchResult<T> {
  data?: T
  error?: unknown
  response: Response
}

/**
 * Awaits an openapi-fetch call and returns its data, or throws ApiError.
 * A 401 on a staff call means the session ended (expired, logged out elsewhere, disabled).
 */
export async function call<T>(request: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>
  try {
    result = await request
  } catch (cause) {
    if (cause instanceof ApiError) throw cause
    throw new ApiError('network_error', 0, String(cause))
  }
  const { data, error, response } = result
  if (response.ok) return data as T
  const body = ((error ?? {}) as ErrorEnvelope).error ?? {}
  const code = body.code ?? (response.status >= 500 ? 'internal_error' : 'bad_request')
  if (response.status === 401) onUnauthorized(code)
  throw new ApiError(code, response.status, body.message ?? response.statusText, body.details ?? {})
}
