// The http.request wire event from a finished HttpServerContext: valid against the proto schema,
// URL redacted, limits applied.
import t from 'tap'
import { validateEvent } from '@sidewatch/proto/schema'
import type { HttpServerContext } from '../../src/channels'
import { httpRequestEvent } from '../../src/reporter/events-http'
import type { Identity } from '../../src/reporter/events'
import { createRequestContext, setRoute } from '../../src/request-context'

const identity: Identity = { service: 'shop', runtime: { name: 'node', version: process.versions.node }, pid: process.pid, host: 'h' }

t.test('a finished request', async (t) => {
  const request = createRequestContext({
    id: '7d3f1c9e-2b1a-4c1e-9d7e-000000000001', method: 'POST', url: '/login?user=bob&password=hunter2',
    client: { address: '127.0.0.1', port: 50000 }, local: { address: '127.0.0.1', port: 8080 }, userAgent: 'curl/8', blocked: true,
  })
  setRoute(request, '/login')
  const ctx: HttpServerContext = { request, req: {}, res: {}, startedAt: Date.now(), status: 403, durationMs: 1.23456 }
  const event = httpRequestEvent(identity, ctx)
  t.equal(validateEvent(event), undefined, 'valid http.request event')
  t.match(event, {
    kind: 'http.request', source: 'node-asm', service: 'shop', host: 'h', request_id: request.id,
    http: { method: 'POST', url: '/login?user=bob&password=[redacted]', route: '/login', status: 403, duration_ms: 1.235,
      client: { address: '127.0.0.1', port: 50000 }, local: { address: '127.0.0.1', port: 8080 }, user_agent: 'curl/8', blocked: true },
  })
})

t.test('an aborted request: no status, no route; long fields cut', async (t) => {
  const request = createRequestContext({ id: 'r1', method: 'GET', url: `/${'a'.repeat(10_000)}`, userAgent: 'u'.repeat(5000) })
  const event = httpRequestEvent(identity, { request, req: {}, res: {}, startedAt: Date.now(), durationMs: 3 })
  t.equal(validateEvent(event), undefined)
  t.equal(event.http.status, undefined)
  t.equal(event.http.route, undefined)
  t.equal(event.http.blocked, undefined)
  t.equal(event.http.url.length, 8192)
  t.equal(event.http.user_agent?.length, 1024)
})
