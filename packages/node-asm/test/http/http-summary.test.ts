// The counts behind http.summary: rows per key, sums and maxima, the row limit, the window.
import t from 'tap'
import { validateEvent } from '@sidewatch/proto/schema'
import { HttpSummary, MAX_ROWS } from '../../src/reporter/http-summary'

const identity = { service: 'shop', runtime: { name: 'node' as const, version: process.versions.node }, pid: process.pid, host: 'h' }

t.test('rows per (method, route, status) and (method, host, port, status)', async (t) => {
  const summary = new HttpSummary()
  t.equal(summary.take(identity), undefined, 'nothing counted: no event')
  summary.addRequest('GET', '/items/:id', 200, 2)
  summary.addRequest('GET', '/items/:id', 200, 5.5)
  summary.addRequest('GET', '/items/:id', 404, 1)
  summary.addRequest('POST', undefined, 201, 3)
  summary.addRequest('GET', undefined, undefined, 0.25)
  summary.addCall('GET', '198.51.100.7', 8080, 200, 4)
  summary.addCall('GET', '198.51.100.7', 8080, 200, 6)
  summary.addCall('GET', '198.51.100.7', 8443, 200, 1)
  const event = summary.take(identity)
  t.ok(event)
  if (event === undefined) return
  t.equal(validateEvent(event), undefined, 'a valid http.summary event')
  t.match(event, { kind: 'http.summary', source: 'node-asm', service: 'shop' })
  t.notOk('request_id' in event)
  t.same(event.http.server, [
    { method: 'GET', route: '/items/:id', status: 200, count: 2, duration_ms_sum: 7.5, duration_ms_max: 5.5 },
    { method: 'GET', route: '/items/:id', status: 404, count: 1, duration_ms_sum: 1, duration_ms_max: 1 },
    { method: 'POST', status: 201, count: 1, duration_ms_sum: 3, duration_ms_max: 3 },
    { method: 'GET', count: 1, duration_ms_sum: 0.25, duration_ms_max: 0.25 },
  ])
  t.same(event.http.client, [
    { method: 'GET', host: '198.51.100.7', port: 8080, status: 200, count: 2, duration_ms_sum: 10, duration_ms_max: 6 },
    { method: 'GET', host: '198.51.100.7', port: 8443, status: 200, count: 1, duration_ms_sum: 1, duration_ms_max: 1 },
  ])
  t.notOk('overflow' in event.http)
  t.ok(Date.parse(event.http.start) <= Date.parse(event.http.end), 'the window runs forward')

  summary.addRequest('GET', '/', 200, 1)
  const next = summary.take(identity)
  t.same(next?.http.server, [{ method: 'GET', route: '/', status: 200, count: 1, duration_ms_sum: 1, duration_ms_max: 1 }], 'a new window starts empty')
  t.equal(next?.http.start, event.http.end, 'windows are back to back')
})

t.test('past MAX_ROWS distinct rows, requests are counted in overflow, not lost', async (t) => {
  const summary = new HttpSummary()
  for (let i = 0; i < MAX_ROWS + 10; i++) summary.addRequest('GET', `/r${i}`, 200, 1)
  summary.addRequest('GET', '/r0', 200, 1) // an existing row still counts
  for (let i = 0; i < MAX_ROWS + 5; i++) summary.addCall('GET', `h${i}.example`, 443, 200, 1)
  const event = summary.take(identity)
  if (event === undefined) { t.fail('no event'); return }
  t.equal(validateEvent(event), undefined)
  t.equal(event.http.server.length, MAX_ROWS)
  t.equal(event.http.client.length, MAX_ROWS)
  t.equal(event.http.overflow, 15)
  const counted = event.http.server.reduce((n, r) => n + r.count, 0) + event.http.client.reduce((n, r) => n + r.count, 0) + (event.http.overflow ?? 0)
  t.equal(counted, 2 * MAX_ROWS + 16, 'every request and call is in a row or in overflow')
})

t.test('values outside the schema are cut or left out, never sent invalid', async (t) => {
  const summary = new HttpSummary()
  summary.addRequest('X'.repeat(100), '/'.repeat(2000), 42, -1)
  summary.addCall('GET', 'h'.repeat(600), 70000, 1000, Number.NaN)
  const event = summary.take(identity)
  if (event === undefined) { t.fail('no event'); return }
  t.equal(validateEvent(event), undefined)
  t.match(event.http.server[0], { duration_ms_sum: 0, duration_ms_max: 0 })
  t.notOk('status' in event.http.server[0]!)
  t.notOk('port' in event.http.client[0]!)
})
