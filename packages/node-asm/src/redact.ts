/**
 * Redaction, applied to whatever leaves the process: secret-bearing headers, and any parameter,
 * field or query key whose name looks like a credential, get the value `[redacted]`.
 */
export const REDACTED = '[redacted]'

/** Header names (lower case) whose values are always secret. */
export const SENSITIVE_HEADERS: ReadonlySet<string> = new Set([
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token',
])

/** A field or parameter name that looks like it holds a credential. */
export const SENSITIVE_NAME = /pass(word)?|token|secret|api[-_]?key|auth|credential|session|private[-_]?key/i

let extraNames: ReadonlySet<string> = new Set()

/** Adds names (matched case-insensitively, whole name or any dotted segment) to redact; replaces the previous list. */
export function setRedactedNames (names: readonly string[]): void {
  extraNames = new Set(names.map((n) => n.toLowerCase()))
}

/**
 * True when a value under this name must not leave the process: a header in SENSITIVE_HEADERS,
 * a name matching SENSITIVE_NAME, or one of the configured names (the name or any of its dotted
 * segments: `body.user.ssn` matches `ssn`).
 */
export function isSensitiveName (name: string): boolean {
  const lower = name.toLowerCase()
  if (SENSITIVE_HEADERS.has(lower) || SENSITIVE_NAME.test(name)) return true
  if (extraNames.size === 0) return false
  if (extraNames.has(lower)) return true
  for (const segment of lower.split('.')) if (extraNames.has(segment)) return true
  return false
}

/** The value to report for `name`. */
export function redactValue (name: string, value: string): string {
  return isSensitiveName(name) ? REDACTED : value
}

/** A copy of the headers with sensitive values replaced. */
export function redactHeaders<T> (headers: Record<string, T>): Record<string, T | string> {
  const out: Record<string, T | string> = {}
  for (const name in headers) out[name] = isSensitiveName(name) ? REDACTED : headers[name] as T
  return out
}

/**
 * The URL (absolute, or path and query) with sensitive query values and a userinfo password
 * replaced: `/login?user=a&password=x` → `/login?user=a&password=[redacted]`.
 */
export function redactUrl (url: string): string {
  let out = url
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@]*)@/i.exec(out)
  if (scheme?.[1] !== undefined && scheme[1].includes(':')) {
    const user = scheme[1].slice(0, scheme[1].indexOf(':'))
    out = out.replace(`${scheme[1]}@`, `${user}:${REDACTED}@`)
  }
  const q = out.indexOf('?')
  if (q === -1) return out
  const hash = out.indexOf('#', q)
  const query = out.slice(q + 1, hash === -1 ? undefined : hash)
  const redacted = query.split('&').map((pair) => {
    const eq = pair.indexOf('=')
    const key = eq === -1 ? pair : pair.slice(0, eq)
    return isSensitiveName(decodeKey(key)) ? `${key}=${REDACTED}` : pair
  }).join('&')
  return out.slice(0, q + 1) + redacted + (hash === -1 ? '' : out.slice(hash))
}

function decodeKey (key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '))
  } catch {
    return key
  }
}
