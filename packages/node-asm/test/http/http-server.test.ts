// The http/https server instrumentation on a plain http server: one start and one finish per
// request, the context's fields and inputs, AsyncLocalStorage across awaits, timers and body
// events under concurrency, and patch/unpatch as a symmetric pair.
import t from 'tap'
import http = require('node:http')
import https = require('node:https')
import { EventEmitter } from 'node:events'
import { Instrumentations } from '../../src/hook'
import { httpServerInstrumentations, isWrapped } from '../../src/instrumentations/http-server'
import { currentRequest } from '../../src/request-context'
import { close, inputsOf, listen, sleep, watchServer } from './serve'

t.test('patch and unpatch are symmetric; nothing is patched before enable()', async (t) => {
  t.equal(Object.prototype.hasOwnProperty.call(http.Server.prototype, 'emit'), false, 'emit is inherited before')
  const instrumentations = new Instrumentations(httpServerInstrumentations)
  t.equal(isWrapped(http.Server.prototype.emit), false)
  instrumentations.enable()
  t.equal(isWrapped(http.Server.prototype.emit), true)
  t.equal(isWrapped(https.Server.prototype.emit), true)
  httpServerInstrumentations[0]?.patch(http as unknown as Record<string, unknown>)
  t.equal(isWrapped(((http.Server.prototype.emit as unknown) as Record<symbol, unknown>)[Object.getOwnPropertySymbols(http.Server.prototype.emit)[0] as symbol]), false, 'patching twice wraps once')
  instrumentations.disable()
  t.equal(Object.prototype.hasOwnProperty.call(http.Server.prototype, 'emit'), false, 'own emit removed again')
  t.equal(Object.prototype.hasOwnProperty.call(https.Server.prototype, 'emit'), false)
  t.equal(http.Server.prototype.emit, EventEmitter.prototype.emit)
})

t.test('the request and response prototypes patched while serving are restored at disable', async (t) => {
  const instrumentations = new Instrumentations(httpServerInstrumentations)
  instrumentations.enable()
  const seen = watchServer()
  const server = http.createServer((req, res) => { res.end('ok') })
  const base = await listen(server)
  t.equal(await (await fetch(base)).text(), 'ok')
  await seen.finished('/')
  t.equal(isWrapped(http.ServerResponse.prototype.emit), true, 'response prototype patched once a request was served')
  t.equal(isWrapped(http.IncomingMessage.prototype.emit), true, 'request prototype too')
  seen.off()
  await close(server)
  instrumentations.disable()
  t.equal(Object.prototype.hasOwnProperty.call(http.ServerResponse.prototype, 'emit'), false, 'own emit removed from the response prototype')
  t.equal(Object.prototype.hasOwnProperty.call(http.IncomingMessage.prototype, 'emit'), false)
  t.equal(http.ServerResponse.prototype.emit, EventEmitter.prototype.emit)
})

t.test('plain http server', async (t) => {
  const instrumentations = new Instrumentations(httpServerInstrumentations)
  instrumentations.enable()
  t.teardown(() => instrumentations.disable())

  t.test('no subscribers: no context', async (t) => {
    let inside: unknown = 'unset'
    const server = http.createServer((_req, res) => { inside = currentRequest(); res.end('ok') })
    const base = await listen(server)
    t.teardown(() => close(server))
    await (await fetch(`${base}/x`)).text()
    t.equal(inside, undefined)
  })

  t.test('start and finish once per request, with status, duration and inputs', async (t) => {
    const seen = watchServer()
    t.teardown(() => seen.off())
    let inside: unknown
    const server = http.createServer((req, res) => {
      if (req.url?.startsWith('/items') === true) inside = currentRequest()
      setTimeout(() => { res.statusCode = req.url?.startsWith('/missing') === true ? 404 : 201; res.end('ok') }, 15)
    })
    const base = await listen(server)
    t.teardown(() => close(server))
    const res = await fetch(`${base}/items/42?q=shoes&ids=1&ids=2&empty=`, {
      headers: {
        'user-agent': 'tester/1.0',
        cookie: 'sid=abc%20def; theme="dark"',
        'x-forwarded-for': '203.0.113.7',
        'x-custom': 'hello',
        authorization: 'Bearer secret',
        'x-api-key': 'k',
        accept: 'text/plain',
      },
    })
    t.equal(res.status, 201)
    await res.text()
    const url = '/items/42?q=shoes&ids=1&ids=2&empty='
    const finish = await seen.finished(url)
    await fetch(`${base}/missing`).then((r) => r.text())
    const missing = await seen.finished('/missing')
    await sleep(20)
    t.equal(seen.starts.length, 2, 'one start per request')
    t.equal(seen.finishes.length, 2, 'one finish per request')
    t.equal(seen.starts[0], finish, 'the same context object on start and finish')
    t.equal(inside, finish.request, 'currentRequest() in the handler is the published request')
    t.equal(finish.status, 201)
    t.equal(missing.status, 404)
    t.ok((finish.durationMs ?? 0) >= 10, `duration ${finish.durationMs} ms`)
    t.match(finish.request, { method: 'GET', url, userAgent: 'tester/1.0', client: { address: '127.0.0.1' }, local: { address: '127.0.0.1' } })
    t.match(finish.request.id, /^[0-9a-f]{16}-[0-9a-z]+$/, 'a per-process prefix and a counter')
    t.not(finish.request.id, missing.request.id)
    t.same(inputsOf(finish, 'query'), ['query.empty=', 'query.ids.0=1', 'query.ids.1=2', 'query.q=shoes'])
    t.same(inputsOf(finish, 'path'), ['path=/items/42'])
    t.same(inputsOf(finish, 'cookies'), ['cookies.sid=abc def', 'cookies.theme=dark'])
    t.same(inputsOf(finish, 'headers'), ['headers.user-agent=tester/1.0', 'headers.x-custom=hello', 'headers.x-forwarded-for=203.0.113.7'],
      'authorization, cookie, x-api-key and accept are not inputs')
  })

  t.test('finish on a closed connection without a response', async (t) => {
    const seen = watchServer()
    t.teardown(() => seen.off())
    const server = http.createServer((req) => { setTimeout(() => req.socket.destroy(), 5) })
    const base = await listen(server)
    t.teardown(() => close(server))
    await t.rejects(fetch(`${base}/drop`))
    const finish = await seen.finished('/drop')
    t.equal(finish.status, undefined, 'no status when nothing was sent')
    await sleep(20)
    t.equal(seen.finishes.length, 1)
  })

  t.test('finish once, whether the response emits through its prototype or has an emit of its own', async (t) => {
    const seen = watchServer()
    t.teardown(() => seen.off())
    const server = http.createServer((req, res) => {
      if (req.url === '/own-emit') {
        // An object-level emit (as some instrumentation or test doubles set): the fallback listener.
        const original = res.emit
        res.emit = function (this: typeof res, ...args: Parameters<typeof res.emit>) { return original.apply(this, args) } as typeof res.emit
      }
      res.end('ok')
    })
    const base = await listen(server)
    t.teardown(() => close(server))
    for (const path of ['/proto-emit', '/own-emit']) {
      t.equal(await (await fetch(`${base}${path}`)).text(), 'ok')
      const finish = await seen.finished(path)
      t.equal(finish.status, 200, `${path}: status`)
      t.ok(typeof finish.durationMs === 'number' && finish.durationMs >= 0, `${path}: duration`)
    }
    await sleep(20)
    t.equal(seen.finishes.length, 2, 'one finish per request')
  })

  t.test('currentRequest() across awaits, timers, promise chains and body events: no cross-talk', async (t) => {
    const seen = watchServer()
    t.teardown(() => seen.off())
    const server = http.createServer(async (req, res) => {
      const mine = currentRequest()
      const checks: boolean[] = []
      let body = ''
      req.on('data', (chunk: Buffer) => { body += chunk.toString(); checks.push(currentRequest() === mine) })
      await new Promise<void>((resolve) => req.on('end', () => { checks.push(currentRequest() === mine); resolve() }))
      await sleep(Math.random() * 20)
      checks.push(currentRequest() === mine)
      await new Promise<void>((resolve) => setTimeout(() => { checks.push(currentRequest() === mine); resolve() }, Math.random() * 10))
      await Promise.resolve().then(() => sleep(1)).then(() => { checks.push(currentRequest() === mine) })
      setImmediate(() => {
        checks.push(currentRequest() === mine)
        res.end(JSON.stringify({ id: mine?.id, url: mine?.url, ok: checks.every(Boolean), n: checks.length, len: body.length }))
      })
    })
    const base = await listen(server)
    t.teardown(() => close(server))
    const agent = Array.from({ length: 40 }, (_, i) => i)
    const results = await Promise.all(agent.map(async (i) => {
      const body = i % 3 === 0 ? 'x'.repeat(200_000) : `n=${i}`
      return (await fetch(`${base}/c/${i}`, { method: 'POST', body })).json() as Promise<{ id: string, url: string, ok: boolean, n: number, len: number }>
    }))
    for (const [i, r] of results.entries()) {
      t.equal(r.url, `/c/${i}`, `request ${i} saw its own context`)
      t.equal(r.ok, true, `request ${i}: every check in its own context (${r.n} checks)`)
    }
    t.equal(new Set(results.map((r) => r.id)).size, 40, 'distinct ids')
    await waitUntil40(seen)
  })
})

async function waitUntil40 (seen: ReturnType<typeof watchServer>): Promise<void> {
  for (let i = 0; i < 400 && seen.finishes.length < 40; i++) await sleep(20)
  if (seen.finishes.length !== 40) throw new Error(`finishes: ${seen.finishes.length}`)
}

t.test('http2 compat API: start and finish, inputs, context in the handler', async (t) => {
  const http2 = require('node:http2') as typeof import('node:http2')
  const proto = Object.getPrototypeOf(http2.createServer()) as object
  const instrumentations = new Instrumentations(httpServerInstrumentations)
  instrumentations.enable()
  t.teardown(() => instrumentations.disable())
  t.equal(isWrapped((proto as { emit: unknown }).emit), true)
  const seen = watchServer()
  t.teardown(() => seen.off())
  let inside: unknown
  const server = http2.createServer((req, res) => {
    setTimeout(() => { inside = currentRequest(); res.statusCode = 202; res.end('ok') }, 5)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const client = http2.connect(`http://127.0.0.1:${port}`)
  t.teardown(() => { client.close(); server.close() })
  const status = await new Promise((resolve, reject) => {
    const req = client.request({ ':path': '/h2?x=1', cookie: 'a=b', 'x-trace': 't' })
    req.on('response', (headers) => { req.resume(); req.on('end', () => resolve(headers[':status'])) })
    req.on('error', reject)
    req.end()
  })
  t.equal(status, 202)
  const finish = await seen.finished('/h2?x=1')
  t.equal(finish.status, 202)
  t.equal(inside, finish.request)
  t.match(finish.request, { method: 'GET', client: { address: '127.0.0.1' } })
  t.same(inputsOf(finish).filter((i) => !i.startsWith('headers.user')), ['cookies.a=b', 'headers.x-trace=t', 'path=/h2', 'query.x=1'])
  instrumentations.disable()
  t.equal(Object.prototype.hasOwnProperty.call(proto, 'emit'), false, 'unpatched')
})
