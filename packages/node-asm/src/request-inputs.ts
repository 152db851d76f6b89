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
    addInputs(ctx, 'query', new URLSearchParams(url.slice(q + 1, hash === -1 ? undefined : hash)))
  }
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
