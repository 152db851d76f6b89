// The console over HTTP, in-process, over a store filled through the real rule pipeline: sign-in
// and 401s, CSRF, text never becoming markup (XSS payloads in every attacker-controlled field),
// clear messages for malformed queries, the export, and the activity view.
import t from 'tap'
import type { SidewatchEvent } from '@sidewatch/proto'
import { createLogger } from '../src/log'
import { SqliteSink } from '../src/sinks/sqlite'
import { RulePipeline } from '../src/rules/rule-pipeline'
import { openConsoleStore } from '../src/console/console-store'
import { ConsoleServer } from '../src/console/server'
import { csvCell } from '../src/console/export'
import { escapeText, html, toString } from '../src/console/html'
import { attackStory, XSS } from './helpers/console-fixtures'

const TOKEN = 'console-test-token'

interface Answer { status: number, body: string, headers: Headers }

async function consoleOver (t: { testdir: () => string, teardown: (fn: () => unknown) => void }): Promise<{ server: ConsoleServer, get: (path: string, headers?: Record<string, string>) => Promise<Answer>, post: (path: string, form: Record<string, string>, headers?: Record<string, string>) => Promise<Answer>, cookie: string, csrf: string }> {
  const file = `${t.testdir()}/events.db`
  const sink = await SqliteSink.open(file, { log: createLogger('silent'), onError: (_s, err) => { throw err } })
  const pipeline = new RulePipeline({ paths: [] })
  const story = attackStory('s1') as unknown as SidewatchEvent[]
  await sink.write([...story, ...(pipeline.process(story) as unknown as SidewatchEvent[]), ...(pipeline.stop() as unknown as SidewatchEvent[])])
  await sink.close()
  const db = openConsoleStore(file)
  const server = await ConsoleServer.start({ db, host: '127.0.0.1', port: 0, token: TOKEN })
  t.teardown(async () => { await server.close(); db.close() })
  const request = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const res = await fetch(`${server.url}${path}`, { redirect: 'manual', ...init })
    return { status: res.status, body: await res.text(), headers: res.headers }
  }
  const signIn = await request(`/signin?token=${TOKEN}`)
  const cookie = (signIn.headers.getSetCookie()[0] ?? '').split(';')[0] as string
  const alerts = await request('/alerts', { headers: { cookie } })
  const csrf = /name="csrf" value="([^"]+)"/.exec(alerts.body)?.[1] as string
  return {
    server,
    cookie,
    csrf,
    get: (path, headers = {}) => request(path, { headers: { cookie, ...headers } }),
    post: (path, form, headers = {}) => request(path, { method: 'POST', body: new URLSearchParams(form).toString(), headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: server.url, ...headers } }),
  }
}

/** Every tag in a page: only known elements, no event-handler attributes, no script but ours. */
function markupProblems (body: string): string[] {
  const allowed = new Set(['html', 'head', 'meta', 'title', 'link', 'script', 'body', 'header', 'nav', 'a', 'form', 'input', 'button', 'main', 'h1', 'h2', 'h3', 'h4', 'p', 'span', 'table', 'thead', 'tbody',
    'tr', 'th', 'td', 'dl', 'dt', 'dd', 'section', 'pre', 'code', 'ol', 'li', 'div', 'small', 'label', 'select', 'option', 'fieldset', 'legend', 'textarea', 'svg', 'text', 'line', 'rect'])
  const problems: string[] = []
  for (const [tag] of body.matchAll(/<[a-zA-Z][^>]*>/g)) {
    const name = /^<([a-zA-Z0-9]+)/.exec(tag)?.[1]?.toLowerCase() ?? ''
    if (!allowed.has(name)) problems.push(`element ${tag}`)
    if (/\son[a-z]+\s*=/i.test(tag.replace(/"[^"]*"/g, '""'))) problems.push(`handler in ${tag}`)
    if (name === 'script' && tag !== '<script src="/static/console.js" defer>') problems.push(`script ${tag}`)
    for (const [, href] of tag.matchAll(/\s(?:href|src|action)="([^"]*)"/g)) if (!href?.startsWith('/')) problems.push(`off-site or scripted link in ${tag}`)
  }
  return problems
}

t.test('the html template escapes every interpolated value, and only those', async (t) => {
  t.equal(toString(html`<p title="${'"><x>'}">${"<b>&'`"}</p>`), '<p title="&quot;&gt;&lt;x&gt;">&lt;b&gt;&amp;&#39;&#96;</p>')
  t.equal(toString(html`<ul>${['<a>', html`<li>${'<b>'}</li>`]}</ul>`), '<ul>&lt;a&gt;<li>&lt;b&gt;</li></ul>', 'fragments pass, strings in arrays are escaped')
  t.equal(toString(html`${null}${undefined}${false}${0}`), '0')
  t.equal(escapeText('a&b'), 'a&amp;b')
})

t.test('no token, no console: 401s; the sign-in link sets an HttpOnly SameSite=Strict cookie', async (t) => {
  const c = await consoleOver(t)
  const bare = async (path: string, headers: Record<string, string> = {}): Promise<number> => (await fetch(`${c.server.url}${path}`, { redirect: 'manual', headers })).status
  for (const path of ['/alerts', '/alerts/1', '/search?q=x', '/activity', '/events/atk-s1', '/alerts/export.csv', '/api/alerts/newer?after=0', '/nowhere']) {
    t.equal(await bare(path), 401, `${path} without a session`)
  }
  t.equal(await bare('/signin'), 401, 'sign-in without a token')
  t.equal(await bare('/signin?token=wrong'), 401, 'sign-in with a wrong token')
  t.equal(await bare(`/signin?token=${TOKEN}x`), 401, 'a longer token is wrong too')
  t.equal(await bare('/alerts', { cookie: 'sw_console=forged' }), 401, 'a made-up session')
  t.equal(await bare('/alerts', { authorization: 'Bearer wrong' }), 401)
  t.equal(await bare('/alerts', { authorization: `Bearer ${TOKEN}` }), 200, 'scripts may use the token as a bearer')
  const unauth = await fetch(`${c.server.url}/alerts`)
  t.match(await unauth.text(), /Sign in with the link the console printed/)
  t.equal(await bare('/static/console.css'), 200, 'the stylesheet needs no session')

  const signIn = await fetch(`${c.server.url}/signin?token=${TOKEN}`, { redirect: 'manual' })
  t.equal(signIn.status, 303)
  t.equal(signIn.headers.get('location'), '/alerts')
  t.match(signIn.headers.getSetCookie()[0], /^sw_console=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/)
  const page = await c.get('/alerts')
  t.equal(page.status, 200)
  t.match(page.headers.get('content-security-policy'), /default-src 'none'; script-src 'self'; style-src 'self'/)
  t.equal(page.headers.get('x-frame-options'), 'DENY')
  t.equal(page.headers.get('referrer-policy'), 'same-origin', 'the sign-in token never leaves in a Referer')
  t.notMatch(page.body, /https?:\/\/(?!127\.0\.0\.1)/, 'nothing refers to another origin')
  t.match(page.body, /<link rel="stylesheet" href="\/static\/console.css">/)
})

t.test('decisions need the session, its CSRF token and this origin', async (t) => {
  const c = await consoleOver(t)
  const seq = /href="\/alerts\/(\d+)">Command injection/.exec((await c.get('/alerts')).body)?.[1] as string
  t.ok(seq)
  const form = { state: 'acknowledged', note: 'checking', who: 'ana', csrf: c.csrf }
  t.equal((await c.post(`/alerts/${seq}/decision`, { ...form, csrf: '' })).status, 403, 'no CSRF token')
  t.match((await c.post(`/alerts/${seq}/decision`, { ...form, csrf: 'x'.repeat(43) })).body, /SW_ERR_CSRF: the form is missing its CSRF token or has a stale one/)
  t.match((await c.post(`/alerts/${seq}/decision`, form, { origin: 'http://evil.example' })).body, /SW_ERR_CSRF: the request comes from another origin \(http:\/\/evil.example\)/)
  const noOrigin = await fetch(`${c.server.url}/alerts/${seq}/decision`, { method: 'POST', redirect: 'manual', body: new URLSearchParams(form).toString(), headers: { cookie: c.cookie, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' } })
  t.equal(noOrigin.status, 403, 'Sec-Fetch-Site cross-site')
  const bearer = await fetch(`${c.server.url}/alerts/${seq}/decision`, { method: 'POST', redirect: 'manual', body: new URLSearchParams(form).toString(), headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(bearer.status, 403, 'a bearer token cannot change anything')
  t.notMatch((await c.get(`/alerts/${seq}`)).body, /checking/, 'nothing was recorded')

  const ok = await c.post(`/alerts/${seq}/decision`, form)
  t.equal(ok.status, 303)
  t.equal(ok.headers.get('location'), `/alerts/${seq}`)
  const bad = await c.post(`/alerts/${seq}/decision`, { ...form, state: 'deleted' })
  t.equal(bad.status, 400)
  t.match(bad.body, /decision &quot;deleted&quot; is not one of acknowledged, resolved, false_positive/)
  const detail = (await c.get(`/alerts/${seq}`)).body
  t.match(detail, /<td>ana<\/td><td>acknowledged<\/td><td class="note">checking<\/td>/)
  t.match(detail, /value="ana"/, 'the name is remembered for the next decision')
  t.equal((await c.post('/alerts/99999/decision', form)).status, 404)

  t.equal((await c.post('/signout', { csrf: 'wrong' })).status, 403, 'signing out needs the CSRF token too')
  const out = await c.post('/signout', { csrf: c.csrf })
  t.equal(out.status, 303)
  t.match(out.headers.getSetCookie()[0], /^sw_console=; .*Max-Age=0/)
  t.equal((await c.get('/alerts')).status, 401, 'the session is gone')
})

t.test('XSS payloads in every field stay text on every page', async (t) => {
  const c = await consoleOver(t)
  const list = await c.get('/alerts')
  const seqs = [...list.body.matchAll(/href="\/alerts\/(\d+)"/g)].map((m) => m[1] as string)
  t.equal(seqs.length, 4, 'four alerts from the story')
  for (const seq of seqs) {
    await c.post(`/alerts/${seq}/decision`, { state: 'false_positive', note: XSS.join(' '), who: XSS[1] as string, csrf: c.csrf })
  }
  const pages = ['/alerts', '/alerts?state=false_positive', ...seqs.map((s) => `/alerts/${s}`), '/activity',
    ...['ps-node-s1', 'http-s1', 'atk-s1', 'exec-s1', 'ps-payload-s1', 'flow-s1', 'ct-s1'].map((id) => `/events/${id}`),
    `/search?q=${encodeURIComponent('script')}`, `/search?q=${encodeURIComponent(XSS[1] as string)}`, `/search?q=${encodeURIComponent(XSS[3] as string)}&raw=1`, '/search?q=']
  let payloadsSeen = 0
  for (const path of pages) {
    const page = await c.get(path)
    t.ok(page.status === 200 || page.status === 400, `${path}: ${page.status}`)
    t.same(markupProblems(page.body), [], `${path}: no markup from data`)
    for (const x of XSS) if (page.body.includes(escapeText(x))) payloadsSeen++
  }
  t.ok(payloadsSeen > 40, `the payloads are shown, as text (${payloadsSeen} times)`)
  const detail = (await c.get(`/alerts/${seqs[0] as string}`)).body
  t.match(detail, /id="exception-yaml"/, 'a false positive offers its exception')
  for (const name of ['exported JSON', 'exported CSV']) {
    const res = await c.get(name.endsWith('JSON') ? '/alerts/export.json' : '/alerts/export.csv')
    t.equal(res.headers.get('x-content-type-options'), 'nosniff', `${name}: not sniffed as HTML`)
    t.match(res.headers.get('content-disposition'), /^attachment; filename="sidewatch-alerts-/)
  }
})

t.test('malformed queries get a clear 400, in the page they came from', async (t) => {
  const c = await consoleOver(t)
  const cases: Array<[string, RegExp]> = [
    ['/alerts?priority=urgent', /SW_ERR_BAD_QUERY: priority &quot;urgent&quot; is not one of emergency/],
    ['/alerts?since=last+tuesday', /since &quot;last tuesday&quot; is not a time/],
    ['/alerts?page=-2', /page &quot;-2&quot; is not a page number/],
    ['/search?q=passwd+AND+(&raw=1', /is not valid FTS5 syntax: fts5: syntax error near/],
    ['/search?q=%22unclosed', /the search query has an unclosed quote at character 1/],
    ['/search?q=x&kind=nope', /kind &quot;nope&quot; is not one of/],
    ['/alerts/export.csv?state=maybe', /state &quot;maybe&quot; is not one of/],
  ]
  for (const [path, message] of cases) {
    const res = await c.get(path)
    t.equal(res.status, 400, path)
    t.match(res.body, message, path)
  }
  t.match((await c.get('/alerts?priority=urgent')).body, /id="alert-filters"/, 'the filter form is still there to fix it')
  const api = await c.get('/api/alerts/newer?after=x')
  t.equal(api.status, 400)
  t.match(api.body, /after is a whole number/)
  t.equal((await c.get('/alerts/999999')).status, 404)
  t.equal((await c.get('/events/nope')).status, 404)
  t.equal((await c.get('/events/%E0%A4%A')).status, 404, 'a malformed escape is not an error')
})

t.test('export: the filtered list as JSON and CSV; activity: per minute, destinations, processes, intra-task', async (t) => {
  const c = await consoleOver(t)
  const json = JSON.parse((await c.get('/alerts/export.json')).body) as Array<Record<string, unknown>>
  t.equal(json.length, 4)
  t.same(Object.keys(json[0] as object), ['seq', 'id', 'ts', 'priority', 'rule', 'service', 'container', 'task', 'count', 'state', 'output'])
  const critical = JSON.parse((await c.get('/alerts/export.json?priority=critical')).body) as Array<Record<string, unknown>>
  t.same(critical.map((a) => a.rule), ['Command injection'], 'the filter applies')
  const csv = (await c.get('/alerts/export.csv')).body.split('\r\n')
  t.equal(csv[0], 'seq,id,ts,priority,rule,service,container,task,count,state,output')
  t.equal(csv.length, 6, 'a header, four rows and the final line end')
  t.equal(csvCell('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"', 'formulas are defused and quotes doubled')
  t.equal(csvCell('-1+1'), "'-1+1")
  t.equal(csvCell('a,b'), '"a,b"')
  t.equal(csvCell(null), '')

  const activity = (await c.get('/activity')).body
  t.match(activity, /<svg class="chart" id="chart-events"/)
  const alertBars = [...activity.matchAll(/<title>\d\d:\d\d UTC: (\d+)<\/title>/g)].map((m) => Number(m[1]))
  t.equal(alertBars.slice(60).reduce((a, b) => a + b, 0), 4, 'the alerts chart counts the four alerts')
  t.ok(alertBars.slice(0, 60).reduce((a, b) => a + b, 0) >= 8, 'the events chart counts the events')
  t.match(activity, /169\.254\.169\.254:80<\/a><\/td><td class="num">1<\/td><td class="num">420 B<\/td><td class="num">1\.3 KiB/)
  t.match(activity, /<code>\/tmp\/\.x\/payload<\/code>/)
  t.match(activity, /id="intra-task".*10\.0\.0\.5:6379/s)
})
