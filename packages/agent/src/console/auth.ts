/**
 * Who may use the console: whoever holds the token. The sign-in link (`/signin?token=…`, printed at
 * start-up) trades the token for a session cookie (HttpOnly, SameSite=Strict, random 256-bit id,
 * kept in memory for 12 hours); scripts may send `Authorization: Bearer TOKEN` instead. Tokens are
 * compared in constant time (as SHA-256 digests, so the length does not show either).
 *
 * State-changing requests (POST) need a session and carry its CSRF token in a form field (checked
 * in constant time); a request whose Origin, or Sec-Fetch-Site, says it comes from another site is
 * refused before that. SameSite=Strict already keeps the cookie off cross-site requests: three
 * locks, each enough on its own.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { createTokenCheck, type TokenCheck } from '../ingest/auth'

export const SESSION_COOKIE = 'sw_console'
const SESSION_MS = 12 * 3_600_000
const MAX_SESSIONS = 1000

export interface Session { id: string, csrf: string, expiresMs: number, who: string }

export class ConsoleAuth {
  readonly #check: TokenCheck
  readonly #sessions = new Map<string, Session>()

  constructor (token: string) {
    this.#check = createTokenCheck(token)
  }

  /** The token of a sign-in link or a Bearer header is the console's. */
  tokenMatches (given: string | null | undefined): boolean {
    return given !== null && given !== undefined && given !== '' && this.#check(given) === 'ok'
  }

  /** A new session; its cookie header value. */
  signIn (nowMs = Date.now()): { session: Session, cookie: string } {
    this.#prune(nowMs)
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value as string)
    const session: Session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), expiresMs: nowMs + SESSION_MS, who: '' }
    this.#sessions.set(session.id, session)
    const cookie = `${SESSION_COOKIE}=${session.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}`
    return { session, cookie }
  }

  signOut (session: Session): string {
    this.#sessions.delete(session.id)
    return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`
  }

  /** The request's session, from its cookie; undefined when there is none or it expired. */
  session (req: IncomingMessage, nowMs = Date.now()): Session | undefined {
    const id = cookie(req.headers.cookie, SESSION_COOKIE)
    if (id === undefined) return undefined
    const session = this.#sessions.get(id)
    if (session === undefined) return undefined
    if (session.expiresMs <= nowMs) { this.#sessions.delete(id); return undefined }
    return session
  }

  /** Signed in by cookie or by a Bearer token. */
  authorized (req: IncomingMessage): boolean {
    if (this.session(req) !== undefined) return true
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')
    return this.tokenMatches(bearer?.[1])
  }

  #prune (nowMs: number): void {
    for (const [id, s] of this.#sessions) if (s.expiresMs <= nowMs) this.#sessions.delete(id)
  }
}

/**
 * Why a state-changing request must be refused, or undefined when it may go on: it must come from
 * this origin (Origin, else Sec-Fetch-Site, when the browser sends them) and carry the session's
 * CSRF token.
 */
export function csrfProblem (req: IncomingMessage, session: Session, formToken: string | undefined): string | undefined {
  const origin = req.headers.origin
  if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) return `the request comes from another origin (${origin})`
  const site = req.headers['sec-fetch-site']
  if (origin === undefined && site !== undefined && site !== 'same-origin' && site !== 'none') return `the request comes from another site (Sec-Fetch-Site: ${String(site)})`
  if (formToken === undefined || createTokenCheck(session.csrf)(formToken) !== 'ok') return 'the form is missing its CSRF token or has a stale one (reload the page)'
  return undefined
}

export function newToken (): string {
  return randomBytes(24).toString('base64url')
}

function cookie (header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}
