/**
 * The inputs every request has before any framework looks at it: the raw path, the query string,
 * the attacker-relevant headers and the cookies.
 */
import type { RequestContext } from './channels'
import { addInput, addInputs } from './request-context'
import { SENSITIVE_HEADERS } from './redact'

/** Headers taken as inputs besides any `x-*` one. Authorization and Cookie never are (cookies are, parsed). */
const INPUT_HEADERS = new Set(['user-agent', 'referer', 'x-forwarded-for'])

type Headers = Record<string, string | string[] | undefined>

export function addUrlInputs (ctx: RequestContext, url: string): void {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  if (path !== '' && path !== '/') addInput(ctx, 'path', 'path', path)
  if (q !== -1 && q < url.length - 1) {
    const hash = url.indexOf('#', q)
    const query = url.slice(q + 1, hash === -1 ? undefined : hash)
    if (!addPlainQuery(ctx, query)) addInputs(ctx, 'query', new URLSearchParams(query))
  }
}

/** Nothing to decode (no `%`, no `+`, ASCII only): the pairs are the text as it stands. */
const PLAIN_QUERY = /^[\x00-\x24\x26-\x2a\x2c-\x7f]*$/

/**
 * The common query (`name=catalog.txt&page=2`) without URLSearchParams: when nothing needs
 * decoding and no name repeats, its pairs are added as they stand, as URLSearchParams would
 * have given them. Returns false, adding nothing, when the query needs the full parser (or is
 * long: the check for repeated names is quadratic).
 */
function addPlainQuery (ctx: RequestContext, query: string): boolean {
  if (query.length > 2048 || !PLAIN_QUERY.test(query)) return false
  const parts = query.split('&')
  if (parts.length > 32) return false
  const names: string[] = []
  const values: string[] = []
  for (const part of parts) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const name = eq === -1 ? part : part.slice(0, eq)
    if (names.includes(name)) return false // repeated: `query.name.0`, `.1`, as the full parser numbers them
    names.push(name)
    values.push(eq === -1 ? '' : part.slice(eq + 1))
  }
  for (let i = 0; i < names.length; i++) addInput(ctx, 'query', `query.${names[i]}`, values[i] as string)
  return true
}

export function addHeaderInputs (ctx: RequestContext, headers: Headers): void {
  for (const name in headers) {
    if (!INPUT_HEADERS.has(name) && !(name.startsWith('x-') && !SENSITIVE_HEADERS.has(name))) continue
    addInputs(ctx, 'headers', headers[name], `headers.${name}`)
  }
  const cookie = headers.cookie
  if (typeof cookie === 'string') addInputs(ctx, 'cookies', parseCookies(cookie))
}

/** `a=1; b="two"` → {a: '1', b: 'two'}; values percent-decoded when they decode. First one of a name wins. */
export function parseCookies (header: string): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null) as Record<string, string>
  let count = 0
  for (const part of header.split(';')) {
    if (++count > 256) break
    const eq = part.indexOf('=')
    if (eq === -1) continue
    const name = part.slice(0, eq).trim()
    if (name === '' || name in cookies) continue
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    cookies[name] = decode(value)
  }
  return cookies
}

function decode (value: string): string {
  if (!value.includes('%')) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
