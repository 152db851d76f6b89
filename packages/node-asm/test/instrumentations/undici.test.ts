// undici 7 and the global fetch, republished from undici's diagnostics channels: api, target,
// status and addresses for request, stream, undici.fetch and the global fetch against real servers
// on 127.0.0.1; connection errors; and abort, where nothing reaches the server.
import t, { type Test } from 'tap'
import { enableFor } from '../helpers/instrument'
import { PassThrough } from 'node:stream'
import undici = require('undici')
import { subscribe, type HttpClientContext } from '../../src/channels'
import { Instrumentations } from '../../src/hook'
import { describeUndiciRequest, undiciInstrumentation } from '../../src/instrumentations/undici'
import { closedPort, selfSigned, startServer } from '../fixtures/instr-http/servers'

/** [event, context, its error at that moment]. */
function record (t: Test): Array<[string, HttpClientContext, Error | undefined]> {
  const seen: Array<[string, HttpClientContext, Error | undefined]> = []
  const offStart = subscribe('httpClientStart', (ctx) => { seen.push(['start', ctx, ctx.error]) })
  const offEnd = subscribe('httpClientEnd', (ctx) => { seen.push(['end', ctx, ctx.error]) })
  t.teardown(() => { offStart(); offEnd() })
  return seen
}

const enable = (t: Test): void => { enableFor(t, undiciInstrumentation) }

/** Each client API, reading the whole response; resolves with the status. */
const CLIENTS: Array<[string, string, (url: string) => Promise<number>]> = [
  ['undici.request', 'undici', async (url) => { const res = await undici.request(url); await res.body.text(); return res.statusCode }],
  ['undici.fetch', 'fetch', async (url) => { const res = await undici.fetch(url); await res.text(); return res.status }],
  ['undici.stream', 'undici', async (url) => {
    let status = 0
    await undici.stream(url, { method: 'GET' }, ({ statusCode }) => { status = statusCode; return new PassThrough().resume() })
    return status
  }],
  ['global fetch', 'fetch', async (url) => { const res = await fetch(url); await res.text(); return res.status }],
]

t.test('describeUndiciRequest: api, url, host and port from undici\'s Request', async (t) => {
  t.match(describeUndiciRequest({ origin: 'http://127.0.0.1:8080', method: 'GET', path: '/a?b', headers: [] }),
    { api: 'undici', url: 'http://127.0.0.1:8080/a?b', host: '127.0.0.1', port: 8080 })
  t.match(describeUndiciRequest({ origin: new URL('https://[::1]'), method: 'POST', path: '/', headers: ['sec-fetch-mode', 'cors'] }),
    { api: 'fetch', method: 'POST', url: 'https://[::1]/', host: '::1', port: 443 })
  t.match(describeUndiciRequest({ origin: 'http://h.test', method: 'GET', path: '/', headers: 'sec-fetch-mode: cors\r\n' }), { api: 'fetch', port: 80 })
  t.equal(describeUndiciRequest({ origin: 'http://h.test', method: 'GET', path: undefined as unknown as string, headers: [] }), undefined)
})

t.test('each API: start then one end with status, addresses and duration', async (t) => {
  enable(t)
  const server = await startServer()
  t.teardown(() => server.close())
  const seen = record(t)
  for (const [name, api, call] of CLIENTS) {
    seen.length = 0
    const status = await call(`${server.url}/status/201?q=${name}`)
    t.equal(status, 201, `${name}: the app's response is unchanged`)
    t.same(seen.map(([what]) => what), ['start', 'end'], `${name}: start and one end`)
    const ctx = seen[1]?.[1]
    t.equal(ctx, seen[0]?.[1], `${name}: the same context`)
    t.match(ctx, {
      api,
      method: 'GET',
      url: `${server.url}/status/201?q=${encodeURIComponent(name).replace(/%20/g, '%20')}`,
      host: '127.0.0.1',
      port: server.port,
      status: 201,
      remote: { address: '127.0.0.1', port: server.port },
      local: { address: '127.0.0.1' },
    }, name)
    t.ok(typeof ctx?.durationMs === 'number' && ctx.durationMs >= 0, `${name}: durationMs`)
  }
  seen.length = 0
  await undici.request(`${server.url}/p`, { method: 'POST', body: 'x' }).then((res) => res.body.text())
  t.match(seen[0]?.[1], { api: 'undici', method: 'POST', url: `${server.url}/p` })
})

t.test('https through undici with a self-signed certificate', async (t) => {
  enable(t)
  const certificate = selfSigned()
  const server = await startServer(certificate)
  t.teardown(() => server.close())
  const seen = record(t)
  const agent = new undici.Agent({ connect: { ca: certificate.cert, servername: 'localhost' } })
  t.teardown(() => agent.close())
  const res = await undici.request(`${server.url}/tls`, { dispatcher: agent })
  await res.body.text()
  t.match(seen.map(([what, ctx]) => [what, ctx]), [['start', { url: `${server.url}/tls` }], ['end', { status: 200, remote: { port: server.port } }]])
})

t.test('connection refused: end carries the error, the app gets its rejection', async (t) => {
  enable(t)
  const seen = record(t)
  const port = await closedPort()
  for (const [name, , call] of CLIENTS) {
    seen.length = 0
    const err = await call(`http://127.0.0.1:${port}/`).then(() => undefined, (e: unknown) => e as Error & { cause?: Error })
    t.ok(err, `${name}: rejected`)
    t.same(seen.map(([what]) => what), ['start', 'end'], `${name}: start and one end`)
    t.match(seen[1]?.[1].error, { code: 'ECONNREFUSED' }, `${name}: the connection error`)
    t.equal(seen[1]?.[1].status, undefined)
  }
})

t.test('abort: each API rejects, nothing reaches the server', async (t) => {
  enable(t)
  const server = await startServer()
  t.teardown(() => server.close())
  const blocked = new Error('blocked by sidewatch')
  const seen = record(t)
  const off = subscribe('httpClientStart', (ctx) => { if (ctx.url.includes('/admin')) ctx.abort = blocked })
  t.teardown(off)
  for (const [name, api, call] of CLIENTS) {
    seen.length = 0
    const err = await call(`${server.url}/admin`).then(() => undefined, (e: unknown) => e as Error & { cause?: unknown })
    if (api === 'fetch') t.match(err, { name: 'TypeError', message: 'fetch failed', cause: blocked }, `${name}: rejects like a network error, cause the abort`)
    else t.equal(err, blocked, `${name}: rejects with the abort error`)
    t.same(seen.map(([what, , error]) => [what, error]), [['start', undefined], ['end', blocked]], `${name}: end with the abort error`)
  }
  t.same(server.requests, [], 'no request reached the server')
  t.equal(await CLIENTS[0]![2](`${server.url}/public`), 200, 'other requests go through')
})

t.test('disabled: nothing published', async (t) => {
  const instrumentations = new Instrumentations([undiciInstrumentation])
  instrumentations.enable()
  instrumentations.disable()
  const server = await startServer()
  t.teardown(() => server.close())
  const seen = record(t)
  await undici.request(server.url).then((res) => res.body.text())
  await fetch(server.url).then((res) => res.text())
  t.same(seen, [])
})
