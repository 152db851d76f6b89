/**
 * The console's HTTP server: server-rendered pages over the embedded store, one stylesheet and one
 * script of its own, nothing from any other origin (the Content-Security-Policy says so to the
 * browser too). Every page but the sign-in link and the static files needs a session (auth.ts);
 * every POST also the session's CSRF token. Bad input is a 400 that says what was wrong.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Database as Db } from 'better-sqlite3'
import { isAgentError } from '../errors'
import { activityView } from './activity'
import { alertDetailView } from './alert-detail'
import { alertsView } from './alerts-page'
import { newerAlerts, parseAlertFilter } from './alerts-query'
import { ConsoleAuth, csrfProblem, type Session } from './auth'
import { recordDecision } from './dispositions'
import { eventView } from './event-page'
import { ruleDedupFields } from './exception-suggestion'
import { exportAlerts } from './export'
import type { SafeHtml } from './html'
import { messagePage, page, type Section } from './layout'
import { searchView } from './search-page'
import { loadAssets, type Asset } from './static-assets'

export interface ConsoleOptions {
  db: Db
  host: string
  port: number
  token: string
  /** The user's rule files, for the dedup fields of their own rules in suggested exceptions. */
  rulePaths?: readonly string[]
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer Chrome sends `Origin: null` on form posts, which the CSRF check refuses.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
}
const MAX_FORM = 64 * 1024

export class ConsoleServer {
  readonly #server: Server
  readonly #db: Db
  readonly #auth: ConsoleAuth
  readonly #token: string
  readonly #assets: Map<string, Asset>
  readonly #dedup: Map<string, string[]>

  private constructor (options: ConsoleOptions) {
    this.#db = options.db
    this.#token = options.token
    this.#auth = new ConsoleAuth(options.token)
    this.#assets = loadAssets()
    this.#dedup = ruleDedupFields(options.rulePaths)
    this.#server = createServer((req, res) => { void this.#handle(req, res) })
  }

  static async start (options: ConsoleOptions): Promise<ConsoleServer> {
    const console = new ConsoleServer(options)
    await new Promise<void>((resolve, reject) => {
      console.#server.once('error', reject)
      console.#server.listen(options.port, options.host, () => { console.#server.off('error', reject); resolve() })
    })
    return console
  }

  get url (): string {
    const a = this.#server.address() as AddressInfo
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
  }

  /** The link that signs a browser in (it holds the token: print it only to the operator). */
  get signInUrl (): string {
    return `${this.url}/signin?token=${encodeURIComponent(this.#token)}`
  }

  async close (): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  async #handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.#route(req, res)
    } catch (err) {
      if (res.headersSent) { res.destroy(); return }
      if (isAgentError(err) && err.code === 'SW_ERR_BAD_QUERY') { this.#html(res, 400, messagePage('Bad request', `${err.code}: ${err.message}`, true)); return }
      this.#html(res, 500, messagePage('Internal error', `the console failed on this request: ${(err as Error).message}`, true))
    }
  }

  async #route (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console.invalid')
    const path = url.pathname
    const method = req.method ?? 'GET'
    const asset = this.#assets.get(path)
    if (asset !== undefined && (method === 'GET' || method === 'HEAD')) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'cache-control': 'no-cache' })
      res.end(method === 'HEAD' ? undefined : asset.body)
      return
    }
    if (path === '/signin' && method === 'GET') { this.#signIn(url, res); return }
    const session = this.#auth.session(req)
    if (session === undefined && !this.#auth.authorized(req)) {
      const message = 'Sign in with the link the console printed when it started (sidewatch-agent console prints it; the token is also in SIDEWATCH_CONSOLE_TOKEN if you set it).'
      if (path.startsWith('/api/') || path.startsWith('/alerts/export.')) this.#json(res, 401, { error: `SW_ERR_AUTH: ${message}` }, { 'www-authenticate': 'Bearer' })
      else this.#html(res, 401, messagePage('Sign in', message, false), { 'www-authenticate': 'Bearer' })
      return
    }
    if (method === 'POST') { await this.#post(req, res, path, session); return }
    if (method !== 'GET' && method !== 'HEAD') { this.#html(res, 405, messagePage('Method not allowed', `${method} is not used here`, true), { allow: 'GET, HEAD, POST' }); return }
    const csrf = session?.csrf
    const show = (title: string, section: Section, body: SafeHtml, status = 200): void => this.#html(res, status, page({ title, section, body, csrf }))
    const params = url.searchParams
    let m: RegExpExecArray | null
    if (path === '/') { this.#redirect(res, '/alerts'); return }
    if (path === '/alerts') {
      this.#withBadQuery((error) => show('Alerts', 'alerts', alertsView(this.#db, params, error), error === undefined ? 200 : 400))
      return
    }
    if (path === '/search') {
      this.#withBadQuery((error) => show('Search', 'search', searchView(this.#db, params, error), error === undefined ? 200 : 400))
      return
    }
    if (path === '/activity') { show('Activity', 'activity', activityView(this.#db)); return }
    if ((m = /^\/alerts\/export\.(json|csv)$/.exec(path)) !== null) {
      const filter = parseAlertFilter(params)
      exportAlerts(this.#db, filter, m[1] as 'json' | 'csv', res, SECURITY_HEADERS)
      return
    }
    if (path === '/api/alerts/newer') {
      const after = Number(params.get('after') ?? '0')
      if (!Number.isSafeInteger(after) || after < 0) { this.#json(res, 400, { error: 'SW_ERR_BAD_QUERY: after is a whole number' }); return }
      try {
        this.#json(res, 200, newerAlerts(this.#db, parseAlertFilter(params), after))
      } catch (err) {
        if (isAgentError(err)) { this.#json(res, 400, { error: `${err.code}: ${err.message}` }); return }
        throw err
      }
      return
    }
    if ((m = /^\/alerts\/(\d{1,15})$/.exec(path)) !== null) {
      const view = alertDetailView(this.#db, Number(m[1]), { csrf: csrf ?? '', who: session?.who ?? '', dedup: this.#dedup })
      if (view === undefined) { this.#notFound(res, `no alert ${m[1]}`); return }
      show(view.title, 'alerts', view.body)
      return
    }
    if ((m = /^\/events\/([^/]{1,128})$/.exec(path)) !== null) {
      let id: string
      try { id = decodeURIComponent(m[1] as string) } catch { this.#notFound(res, 'no such event in this store'); return }
      const view = eventView(this.#db, id)
      if (view === undefined) { this.#notFound(res, 'no such event in this store'); return }
      show(view.title, '', view.body)
      return
    }
    this.#notFound(res, `nothing at ${path}`)
  }

  async #post (req: IncomingMessage, res: ServerResponse, path: string, session: Session | undefined): Promise<void> {
    if (session === undefined) { this.#html(res, 403, messagePage('Forbidden', 'changes need a signed-in browser session (the sign-in link), not a bearer token', true)); return }
    const form = await readForm(req)
    if (form === undefined) { this.#html(res, 413, messagePage('Too large', `the form is over ${MAX_FORM} bytes`, true)); return }
    const problem = csrfProblem(req, session, form.get('csrf') ?? undefined)
    if (problem !== undefined) { this.#html(res, 403, messagePage('Forbidden', `SW_ERR_CSRF: ${problem}`, true)); return }
    if (path === '/signout') {
      res.writeHead(303, { ...SECURITY_HEADERS, location: '/signin', 'set-cookie': this.#auth.signOut(session) })
      res.end()
      return
    }
    const m = /^\/alerts\/(\d{1,15})\/decision$/.exec(path)
    if (m === null) { this.#notFound(res, `nothing to post to at ${path}`); return }
    const seq = Number(m[1])
    const input = { state: form.get('state') ?? '', note: form.get('note') ?? '', who: form.get('who') ?? '' }
    try {
      if (!recordDecision(this.#db, seq, input)) { this.#notFound(res, `no alert ${seq}`); return }
    } catch (err) {
      if (!isAgentError(err) || err.code !== 'SW_ERR_BAD_QUERY') throw err
      const view = alertDetailView(this.#db, seq, { csrf: session.csrf, who: input.who, dedup: this.#dedup }, err.message)
      if (view === undefined) { this.#notFound(res, `no alert ${seq}`); return }
      this.#html(res, 400, page({ title: view.title, section: 'alerts', body: view.body, csrf: session.csrf }))
      return
    }
    session.who = input.who.trim()
    this.#redirect(res, `/alerts/${seq}`)
  }

  #signIn (url: URL, res: ServerResponse): void {
    if (!this.#auth.tokenMatches(url.searchParams.get('token'))) {
      this.#html(res, 401, messagePage('Sign in', 'SW_ERR_AUTH: the sign-in link has a missing or wrong token. Use the link the console printed when it started.', false))
      return
    }
    const { cookie } = this.#auth.signIn()
    res.writeHead(303, { ...SECURITY_HEADERS, location: '/alerts', 'set-cookie': cookie })
    res.end()
  }

  /** Renders with `draw()`; a SW_ERR_BAD_QUERY renders again with the message (status 400). */
  #withBadQuery (draw: (error?: string) => void): void {
    try {
      draw()
    } catch (err) {
      if (!isAgentError(err) || err.code !== 'SW_ERR_BAD_QUERY') throw err
      draw(`${err.code}: ${err.message}`)
    }
  }

  #html (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'content-type': 'text/html; charset=utf-8' })
    res.end(body)
  }

  #json (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'content-type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify(body))
  }

  #redirect (res: ServerResponse, location: string): void {
    res.writeHead(303, { ...SECURITY_HEADERS, location })
    res.end()
  }

  #notFound (res: ServerResponse, message: string): void {
    this.#html(res, 404, messagePage('Not found', message, true))
  }
}

function readForm (req: IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_FORM) chunks.push(chunk)
    })
    req.on('end', () => resolve(size > MAX_FORM ? undefined : new URLSearchParams(Buffer.concat(chunks).toString('utf8'))))
    req.on('error', reject)
  })
}
