// Which requests and outbound calls are reported one by one and which are only counted in
// http.summary (SIDEWATCH_HTTP_EVENTS=security, the default), and `all`. Real servers on
// 127.0.0.1, the real SDK through start(), a fake agent speaking the protocol. Requests are sent
// on raw sockets, so the test's own client is not itself an instrumented outbound call.
import t, { type Test } from 'tap'
import cp = require('node:child_process')
import http = require('node:http')
import net = require('node:net')
import type { AddressInfo } from 'node:net'
import type { HttpClientEvent, HttpRequestEvent, HttpSummaryEvent, ProcessExecEvent } from '@sidewatch/proto'
import { start, stats } from '../../src/index'
import { FakeAgent } from '../helpers/fake-agent'
import { waitUntil } from '../helpers/wait'
import { close, listen } from './serve'

/** GET on a fresh socket with `Connection: close`; resolves with the status code. */
function rawGet (port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => { text += chunk })
    socket.on('end', () => { resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)) })
    socket.on('error', reject)
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
  })
}

async function closedPort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function setUp (t: Test, httpEvents: 'security' | 'all') {
  const agent = await FakeAgent.start()
  t.teardown(() => agent.close())
  const handle = start({ agent: agent.address, service: 'policy-test', flushIntervalMs: 10, inventory: false, httpEvents, summaryIntervalMs: 100 })
  t.teardown(() => handle.stop())
  await waitUntil('connected', () => stats().connected)

  // The upstream is a server of this process too: its requests are counted as well (as 202s).
  const upstream = http.createServer((req, res) => { res.statusCode = 202; res.end('up') })
  const upstreamUrl = await listen(upstream)
  t.teardown(() => close(upstream))
  let refused = ''
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => keepAlive.destroy())
  const call = (url: string): Promise<void> => new Promise((resolve) => {
    http.get(url, { agent: keepAlive }, (res) => { res.resume(); res.on('end', resolve) }).on('error', () => resolve())
  })

  const app = http.createServer((req, res) => {
    const done = (status: number): void => { res.statusCode = status; res.end(String(status)) }
    switch (req.url) {
      case '/ok': done(200); break
      case '/err': done(500); break
      case '/deny': done(403); break
      case '/exec': cp.execFileSync('true'); done(200); break
      case '/call': void call(`${upstreamUrl}/price`).then(() => done(200)); break
      case '/fail': void call(refused).then(() => done(200)); break
      default: done(404)
    }
  })
  const port = (new URL(await listen(app))).port
  t.teardown(() => close(app))
  refused = `http://127.0.0.1:${await closedPort()}/` // taken after every server here listens, so none of them gets it
  return { agent, port: Number(port) }
}

t.test('security (default): remarkable requests and calls one by one, the rest counted', async (t) => {
  const { agent, port } = await setUp(t, 'security')
  const paths = ['/ok', '/ok', '/ok', '/err', '/deny', '/exec', '/call', '/call', '/fail', '/nope']
  for (const path of paths) await rawGet(port, path)

  const summaries = (): HttpSummaryEvent[] => agent.eventsOf('http.summary') as HttpSummaryEvent[]
  const counted = (): number => summaries().reduce((n, e) => n + e.http.server.reduce((m, r) => m + r.count, 0), 0)
  const requests = (): HttpRequestEvent[] => agent.eventsOf('http.request') as HttpRequestEvent[]
  await agent.waitFor('every request reported or counted', () => requests().length + counted() === paths.length + 2)

  const reported = requests().map((e) => `${e.http.url} ${e.http.status}`).sort()
  t.same(reported, ['/call 200', '/deny 403', '/err 500', '/exec 200', '/fail 200'],
    'reported: 5xx, 403, the request that ran a process, the one whose call opened a connection, the one whose call failed')
  const rows = summaries().flatMap((e) => e.http.server)
  t.same(rows.filter((r) => r.status === 200).reduce((n, r) => n + r.count, 0), 4, 'counted: three /ok and the second /call')
  t.same(rows.filter((r) => r.status === 202).reduce((n, r) => n + r.count, 0), 2, 'the upstream\'s two requests')
  t.same(rows.filter((r) => r.status === 404).reduce((n, r) => n + r.count, 0), 1, '404s are counted, not reported')
  t.ok(rows.every((r) => r.method === 'GET' && r.route === undefined), 'plain http: no route, paths are not told apart')

  const exec = agent.eventsOf('process.exec') as ProcessExecEvent[]
  const execRequest = requests().find((e) => e.http.url === '/exec')
  t.equal(exec.length, 1)
  t.equal(exec[0]?.request_id, execRequest?.request_id, 'the process joins its request')

  const calls = agent.eventsOf('http.client') as HttpClientEvent[]
  t.equal(calls.length, 2, 'the call on a new connection and the failed call')
  const opened = calls.find((c) => c.http.status === 202)
  t.match(opened?.http, { method: 'GET', host: '127.0.0.1', local: { address: '127.0.0.1' }, remote: { address: '127.0.0.1' } })
  t.equal(opened?.request_id, requests().find((e) => e.http.url === '/call')?.request_id, 'the reported call joins its request')
  t.match(calls.find((c) => c.http.error !== undefined)?.http, { error: /ECONNREFUSED/ })
  await agent.waitFor('the reused-connection call counted', () => summaries().some((e) => e.http.client.some((r) => r.status === 202 && r.count === 1)))
})

t.test('all: every request and call is reported', async (t) => {
  const { agent, port } = await setUp(t, 'all')
  for (const path of ['/ok', '/ok', '/call', '/call']) await rawGet(port, path)
  await agent.waitFor('six http.request events (two of the upstream)', () => agent.eventsOf('http.request').length === 6)
  await agent.waitFor('two http.client events', () => agent.eventsOf('http.client').length === 2)
  t.equal(agent.eventsOf('http.summary').length, 0, 'nothing left to count')
})
