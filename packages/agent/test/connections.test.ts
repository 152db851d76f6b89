// Many connections, the connection limit, and the health and metrics endpoints.
import t from 'tap'
import { connect, type Socket } from 'node:net'
import { encodeMessage } from '@sidewatch/proto'
import { httpGet, metric, readJsonl, startAgent, waitFor, waitForMetric } from './helpers/agent'
import { TestClient, events, helloMessage } from './helpers/client'

function open (port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('error', reject)
    socket.once('connect', () => { socket.on('error', () => {}); resolve(socket) })
  })
}

t.test('1,000 connections opened and dropped, some mid-handshake; the agent serves on', async (t) => {
  const agent = await startAgent(t)
  const port = Number(new URL(agent.tcp).port)
  const hello = encodeMessage(helloMessage() as never)
  const sockets: Socket[] = []
  // In waves, so the listen backlog never overflows into SYN retries.
  for (let wave = 0; wave < 10; wave++) {
    sockets.push(...await Promise.all(Array.from({ length: 100 }, () => open(port))))
  }
  sockets.forEach((socket, i) => {
    if (i % 3 === 1) socket.write(hello.subarray(0, 1 + (i % 20))) // mid-hello
    if (i % 3 === 2) socket.write(hello) // greeted
  })
  await waitForMetric(agent, 'sidewatch_connections', {}, 1000)
  for (const socket of sockets) socket.destroy()
  await waitForMetric(agent, 'sidewatch_connections', {}, 0)

  const client = await TestClient.greeted(agent.tcp)
  t.match(await client.batch(1, [events.exec()]), { ack: { accepted: 1 } }, 'a normal client still works')
  await client.close()
  await waitForMetric(agent, 'sidewatch_connections', {}, 0)
  const text = (await httpGet(agent.metrics, '/metrics')).body
  t.equal(metric(text, 'sidewatch_connections_total'), 1001)
  t.equal(metric(text, 'sidewatch_protocol_errors_total', { code: 'SW_ERR_FRAME_TRUNCATED' }), 333, 'each cut hello counted')
})

t.test('over max_connections a client gets SW_ERR_TOO_MANY_CONNECTIONS; a freed slot is reused', async (t) => {
  const agent = await startAgent(t, { config: { max_connections: 3 } })
  const held = await Promise.all([1, 2, 3].map(() => TestClient.greeted(agent.tcp)))
  const refused = await TestClient.connect(agent.unix)
  t.match(await refused.next(), { type: 'error', code: 'SW_ERR_TOO_MANY_CONNECTIONS', message: /limit of 3/ })
  await refused.waitClosed()
  await agent.proc.line('refusal logged', (l) => l.code === 'SW_ERR_TOO_MANY_CONNECTIONS' && typeof l.conn === 'number')
  await (held.pop() as TestClient).close()
  await waitForMetric(agent, 'sidewatch_connections', {}, 2)
  const next = await TestClient.greeted(agent.tcp)
  for (const c of [...held, next]) await c.close()
})

t.test('/healthz and /metrics, and periodic agent.stats events', async (t) => {
  const agent = await startAgent(t, { config: { stats_interval: '100ms' } })
  const health = await httpGet(agent.metrics, '/healthz')
  t.equal(health.status, 200)
  t.match(health.type, /application\/json/)
  t.match(JSON.parse(health.body), { status: 'ok', version: '0.1.0', connections: 0 })

  const client = await TestClient.greeted(agent.tcp)
  await client.batch(1, [events.exec(), events.exec(), events.fsOp(), { kind: 'process.exec' }])
  client.sendRaw(Buffer.from([0x10, 0, 0, 0, 0]))
  await client.next()
  await client.waitClosed()
  const text = await waitFor('counters on /metrics', async () => {
    const res = await httpGet(agent.metrics, '/metrics')
    return metric(res.body, 'sidewatch_protocol_errors_total', { code: 'SW_ERR_FRAME_FLAGS' }) === 1 ? res : undefined
  })
  t.match(text.type, /text\/plain/)
  const body = text.body
  t.equal(metric(body, 'sidewatch_events_received_total', { kind: 'process.exec' }), 3)
  t.equal(metric(body, 'sidewatch_events_received_total', { kind: 'fs.op' }), 1)
  t.equal(metric(body, 'sidewatch_events_accepted_total', { kind: 'process.exec' }), 2)
  t.equal(metric(body, 'sidewatch_events_rejected_total', { kind: 'process.exec' }), 1)
  t.equal(metric(body, 'sidewatch_protocol_errors_total', { code: 'SW_ERR_INVALID_EVENT' }), 1)
  t.equal(metric(body, 'sidewatch_connections_total'), 1)
  t.match(body, /# TYPE sidewatch_connections gauge/)
  t.match(body, /# TYPE sidewatch_sdk_dropped_events_total counter/)
  t.match(body, /# TYPE sidewatch_events_dropped_total counter/)
  t.match(body, /process_cpu_user_seconds_total/, 'prom-client process metrics')
  t.match(body, /nodejs_eventloop_lag_seconds/)

  const stats = await waitFor('two periodic agent.stats events', () => {
    const got = readJsonl(agent.jsonl).filter((e) => e.kind === 'agent.stats' && e.stats.component === 'agent')
    return got.length >= 2 ? got : undefined
  })
  t.match(stats[stats.length - 1], { source: 'agent', stats: { counters: { events_received: 4, events_accepted: 3, events_rejected: 1 } } })

  for (const path of ['/', '/metrics/x', '/healthz.json']) t.equal((await httpGet(agent.metrics, path)).status, 404, path)
  t.equal((await fetch(`http://${agent.metrics}/metrics`, { method: 'POST' })).status, 404, 'POST')
})
