// Outbound requests through http and https: what is published for each argument form, once per
// request, against real servers on 127.0.0.1; errors; abort (no connection, 'error' on the
// request); and a symmetric patch/unpatch.
import t, { type Test } from 'tap'
import { enableFor } from '../helpers/instrument'
import http = require('node:http')
import https = require('node:https')
import { once } from 'node:events'
import { finished } from 'node:stream/promises'
import { subscribe, type HttpClientContext } from '../../src/channels'
import { Instrumentations } from '../../src/hook'
import { httpClientInstrumentation, isWrapped } from '../../src/instrumentations/http-client'
import { describeRequest } from '../../src/instrumentations/http-client-target'
import { closedPort, selfSigned, startServer, type TestServer } from '../fixtures/instr-http/servers'

const originals = { httpRequest: http.request, httpGet: http.get, httpsRequest: https.request, httpsGet: https.get }

function record (t: Test): Array<[string, HttpClientContext, number | undefined]> {
  const seen: Array<[string, HttpClientContext, number | undefined]> = []
  const offStart = subscribe('httpClientStart', (ctx) => { seen.push(['start', ctx, ctx.status]) })
  const offEnd = subscribe('httpClientEnd', (ctx) => { seen.push(['end', ctx, ctx.status]) })
  t.teardown(() => { offStart(); offEnd() })
  return seen
}

const enable = (t: Test): void => { enableFor(t, httpClientInstrumentation) }

/** Waits for the response and reads it to the end; resolves with the status. */
async function statusOf (req: http.ClientRequest): Promise<number | undefined> {
  const [res] = await once(req, 'response') as [http.IncomingMessage]
  res.resume()
  await finished(res) // not once(res, 'end'): a callback may have read it all already
  return res.statusCode
}

t.test('describeRequest reads every argument form the way ClientRequest does', async (t) => {
  const cb = (): void => {}
  const cases: Array<[string, 'http' | 'https', unknown[], Partial<HttpClientContext>]> = [
    ['url string', 'http', ['http://127.0.0.1:8080/a?b=1'], { method: 'GET', url: 'http://127.0.0.1:8080/a?b=1', host: '127.0.0.1', port: 8080 }],
    ['URL and callback', 'https', [new URL('https://example.test/x'), cb], { url: 'https://example.test/x', host: 'example.test', port: 443 }],
    ['options', 'http', [{ host: 'h.test', port: '81', path: '/p', method: 'post' }], { method: 'POST', url: 'http://h.test:81/p', port: 81 }],
    ['hostname wins over host', 'http', [{ hostname: 'a.test', host: 'b.test' }], { host: 'a.test', url: 'http://a.test/' }],
    ['defaults', 'http', [{}], { host: 'localhost', port: 80, url: 'http://localhost/' }],
    ['url + options: options override', 'http', ['http://a.test/x', { method: 'PUT', path: '/y' }, cb], { method: 'PUT', url: 'http://a.test/y' }],
    ['IPv6', 'http', ['http://[::1]:9000/'], { host: '::1', url: 'http://[::1]:9000/' }],
    ['options through a prototype', 'http', [Object.create({ hostname: 'proto.test', path: '/z' })], { url: 'http://proto.test/z' }],
    ['unix socket', 'http', [{ socketPath: '/var/run/docker.sock', path: '/containers/json' }], { host: '/var/run/docker.sock', url: 'http://unix:/var/run/docker.sock:/containers/json' }],
  ]
  for (const [name, api, args, expected] of cases) t.match(describeRequest(api, args), { api, ...expected }, name)
  t.equal(describeRequest('http', ['not a url']), undefined, 'an invalid URL: Node throws its own error')
})

t.test('http and https: start before sending, end once at the response, with addresses and duration', async (t) => {
  enable(t)
  const certificate = selfSigned()
  const plain = await startServer()
  const secure = await startServer(certificate)
  t.teardown(async () => { await plain.close(); await secure.close() })
  const seen = record(t)
  const requestsAtStart: number[] = []
  const offAtStart = subscribe('httpClientStart', () => { requestsAtStart.push(plain.requests.length + secure.requests.length) })
  t.teardown(offAtStart)
  const tls = { ca: certificate.cert, servername: 'localhost' }
  const cases: Array<[string, () => http.ClientRequest, Partial<HttpClientContext>, TestServer]> = [
    ['http.get(url string)', () => http.get(`${plain.url}/a`), { api: 'http', method: 'GET', url: `${plain.url}/a`, status: 200 }, plain],
    ['http.get(URL, callback)', () => http.get(new URL(`${plain.url}/status/404`), (res) => res.resume()), { url: `${plain.url}/status/404`, status: 404 }, plain],
    ['http.request(options)', () => http.request({ host: '127.0.0.1', port: plain.port, path: '/p', method: 'POST' }).end('x'), { method: 'POST', url: `${plain.url}/p` }, plain],
    ['http.request(url, options, callback)', () => http.request(`${plain.url}/u`, { method: 'DELETE' }, (res) => res.resume()).end(), { method: 'DELETE', url: `${plain.url}/u` }, plain],
    ['https.get(url, options)', () => https.get(`${secure.url}/s`, tls), { api: 'https', url: `${secure.url}/s`, host: '127.0.0.1', port: secure.port, status: 200 }, secure],
    ['https.request(options)', () => https.request({ host: '127.0.0.1', port: secure.port, path: '/t', ...tls }).end(), { api: 'https', url: `${secure.url}/t` }, secure],
  ]
  for (const [name, make, expected, server] of cases) {
    seen.length = 0
    requestsAtStart.length = 0
    const before = server.requests.length
    const req = make()
    t.same(seen.map(([what]) => what), ['start'], `${name}: start, synchronously`)
    t.same(requestsAtStart, [plain.requests.length + secure.requests.length], `${name}: before the server got it`)
    const status = await statusOf(req)
    t.equal(server.requests.length, before + 1, `${name}: sent once`)
    t.same(seen.map(([what]) => what), ['start', 'end'], `${name}: one end`)
    const ctx = seen[1]?.[1]
    t.equal(ctx, seen[0]?.[1], `${name}: the same context`)
    t.match(ctx, { ...expected, status, remote: { address: '127.0.0.1', port: server.port }, local: { address: '127.0.0.1' } }, name)
    t.ok(typeof ctx?.durationMs === 'number' && ctx.durationMs >= 0, `${name}: durationMs`)
    t.equal(seen[0]?.[2], undefined, `${name}: no status at start`)
  }
})

t.test('errors: end carries the error; the app still gets it, with no listener added', async (t) => {
  enable(t)
  const seen = record(t)
  const port = await closedPort()
  const req = http.get(`http://127.0.0.1:${port}/`)
  t.equal(req.listenerCount('error'), 0, 'no error listener added')
  t.equal(req.listenerCount('response'), 0, 'no response listener added: unread responses are still dumped')
  const [err] = await once(req, 'error') as [Error]
  t.match(err, { code: 'ECONNREFUSED' })
  t.same(seen.map(([what]) => what), ['start', 'end'])
  t.equal(seen[1]?.[1].error, err)
  t.match(seen[1]?.[1], { url: `http://127.0.0.1:${port}/`, port })
  seen.length = 0
  t.throws(() => http.get('not a url'), { code: 'ERR_INVALID_URL' })
  t.same(seen, [], 'invalid arguments: Node throws, nothing published')
})

t.test('abort: the request emits the error, opens no socket and sends nothing', async (t) => {
  enable(t)
  const certificate = selfSigned()
  const plain = await startServer()
  const secure = await startServer(certificate)
  t.teardown(async () => { await plain.close(); await secure.close() })
  const blocked = new Error('blocked by sidewatch')
  const seen = record(t)
  const off = subscribe('httpClientStart', (ctx) => { if (ctx.url.includes('/admin')) ctx.abort = blocked })
  t.teardown(off)
  const cases: Array<[string, () => http.ClientRequest]> = [
    ['http.get(url)', () => http.get(`${plain.url}/admin`)],
    ['http.get(URL, callback)', () => http.get(new URL(`${plain.url}/admin`), () => { t.fail('no response') })],
    ['http.request(options)', () => http.request({ host: '127.0.0.1', port: plain.port, path: '/admin', method: 'POST' }).end('secret')],
    ['http.request(url, options)', () => http.request(`${plain.url}/admin`, { method: 'PUT' }).end('secret')],
    ['https.get(url, options)', () => https.get(`${secure.url}/admin`, { ca: certificate.cert })],
    ['https.request(options, callback)', () => https.request({ host: '127.0.0.1', port: secure.port, path: '/admin' }, () => { t.fail('no response') }).end()],
  ]
  for (const [name, make] of cases) {
    seen.length = 0
    const req = make()
    t.type(req, http.ClientRequest, `${name}: a ClientRequest`)
    const [err] = await once(req, 'error') as [Error]
    t.equal(err, blocked, `${name}: emits the abort error`)
    t.same(seen.map(([what, ctx]) => [what, ctx.error]), [['start', blocked], ['end', blocked]], `${name}: end with the error`)
  }
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(plain.connections + secure.connections, 0, 'no connection was made')
  t.same([...plain.requests, ...secure.requests], [], 'nothing was sent')

  seen.length = 0
  t.equal(await statusOf(http.get(`${plain.url}/public`)), 200, 'other requests go through')
})

t.test('no subscribers: no work; disable() restores all four functions', async (t) => {
  const instrumentations = new Instrumentations([httpClientInstrumentation])
  instrumentations.enable()
  t.ok(isWrapped(http.request) && isWrapped(http.get) && isWrapped(https.request) && isWrapped(https.get))
  t.equal(http.get.name, 'get')
  const server = await startServer()
  t.teardown(() => server.close())
  t.equal(await statusOf(http.get(`${server.url}/x`)), 200)
  instrumentations.disable()
  t.same({ httpRequest: http.request, httpGet: http.get, httpsRequest: https.request, httpsGet: https.get }, originals)
})

t.test('a request with an emit of its own is watched by listeners: same start, end, addresses', async (t) => {
  enable(t)
  const server = await startServer()
  t.teardown(() => server.close())
  const seen = record(t)
  // An agent that gives each request an object-level emit while ClientRequest is being made,
  // before the SDK looks at it: the prototype's emit is bypassed, listeners take over.
  const original = http.ClientRequest.prototype.emit
  class OwnEmitAgent extends http.Agent {
    addRequest (req: http.ClientRequest, options: http.RequestOptions): void {
      Object.defineProperty(req, 'emit', { value: function (this: http.ClientRequest, ...args: unknown[]) { return Reflect.apply(original, this, args) }, configurable: true, writable: true })
      // @ts-expect-error addRequest is not in the public typings
      super.addRequest(req, options)
    }
  }
  const agent = new OwnEmitAgent({ keepAlive: false })
  const ok = http.get(`${server.url}/own`, { agent })
  t.equal(Object.prototype.hasOwnProperty.call(ok, 'emit'), true, 'the request has an emit of its own')
  t.equal(await statusOf(ok), 200)
  const port = await closedPort()
  const failing = http.get({ host: '127.0.0.1', port, path: '/', agent })
  const [err] = await once(failing, 'error') as [Error]
  t.match(err, { code: 'ECONNREFUSED' })
  const ends = seen.filter(([what]) => what === 'end').map(([, ctx]) => ctx)
  t.equal(ends.length, 2, 'one end per request')
  t.equal(ends[0]?.status, 200)
  t.match(ends[0]?.remote, { address: '127.0.0.1' }, 'addresses from the socket event')
  t.equal(ends[1]?.error, err)
})

t.test('disable() restores the ClientRequest prototype patched while requests were watched', async (t) => {
  const instrumentations = new Instrumentations([httpClientInstrumentation])
  instrumentations.enable()
  const off = subscribe('httpClientEnd', () => {})
  const server = await startServer()
  t.teardown(() => server.close())
  t.equal(await statusOf(http.get(`${server.url}/p`)), 200)
  t.equal(isWrapped(http.ClientRequest.prototype.emit), true, 'patched once a request was watched')
  off()
  instrumentations.disable()
  t.equal(Object.prototype.hasOwnProperty.call(http.ClientRequest.prototype, 'emit'), false, 'own emit removed again')
})
