// The reporter against a real socket and the fake agent: batching, acks, resending after a lost
// connection, exact drop accounting, mode from the welcome.
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AgentStatsEvent, ProcessExecEvent, SidewatchEvent } from '@sidewatch/proto'
import { readConfig, type StartOptions } from '../src/config'
import { Reporter } from '../src/reporter/reporter'
import { FakeAgent } from './helpers/fake-agent'
import { waitUntil } from './helpers/wait'

const identity = { service: 'reporter-test', runtime: { name: 'node' as const, version: process.versions.node }, pid: process.pid }

function reporter (t: Test, agent: string, overrides: Omit<StartOptions, 'agent'> = {}): Reporter {
  const { config } = readConfig({ agent, reconnectMinMs: 10, reconnectMaxMs: 40, flushIntervalMs: 20, ...overrides }, {})
  const r = new Reporter(config, identity)
  t.teardown(() => r.stop())
  return r
}

let n = 0
/** A process.exec event with a recognisable command line. */
function event (label: string): ProcessExecEvent {
  return {
    id: `test-${++n}`,
    ts: new Date().toISOString(),
    kind: 'process.exec',
    source: 'node-asm',
    pid: process.pid,
    exec: { method: 'spawn', file: 'echo', args: [label], shell: false, command_line: `echo ${label}` },
  }
}
const labels = (events: SidewatchEvent[]): string[] =>
  events.map((e) => e.kind === 'process.exec' ? e.exec.args[0] as string : e.kind)

function unixPath (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'sidewatch-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'agent.sock')
}

t.test('hello carries identity, token and version; welcome sets the mode', async (t) => {
  const agent = await FakeAgent.start({ token: 'secret', mode: 'block' })
  t.teardown(() => agent.close())
  const r = reporter(t, agent.address, { token: 'secret' })
  t.equal(r.mode, 'monitor', 'monitor until the agent says otherwise')
  r.start()
  await waitUntil('connected', () => r.stats().connected)
  t.match(agent.hellos[0], {
    type: 'hello', version: '1.0', token: 'secret', service: 'reporter-test', pid: process.pid,
    runtime: { name: 'node' }, sdk: { name: '@sidewatch/node-asm', version: '0.1.0' },
  })
  t.notOk('dropped' in (agent.hellos[0] ?? {}), 'no dropped field when nothing was dropped')
  t.equal(r.mode, 'block', "the welcome's config.mode")
})

t.test('a mode the application set itself is not changed by the welcome', async (t) => {
  const agent = await FakeAgent.start({ mode: 'monitor' })
  t.teardown(() => agent.close())
  const r = reporter(t, agent.address, { mode: 'block' })
  r.start()
  await waitUntil('connected', () => r.stats().connected)
  t.equal(r.mode, 'block', 'SIDEWATCH_MODE / start({ mode }) wins over the agent')
})

t.test('batches by count, by bytes and by time', async (t) => {
  const agent = await FakeAgent.start()
  t.teardown(() => agent.close())
  const r = reporter(t, agent.address, { batchEvents: 3, batchBytes: 1024, flushIntervalMs: 50 })
  r.start()
  await waitUntil('connected', () => r.stats().connected)

  for (let i = 0; i < 7; i++) r.enqueue(event(`c${i}`))
  await agent.waitFor('7 events', () => agent.events.length === 7)
  t.same(agent.batches.map((b) => b.events.length), [3, 3, 1], 'full batches at once, the rest on the timer')

  const big = 'x'.repeat(100) // ~390 bytes of JSON per event
  for (let i = 0; i < 3; i++) r.enqueue(event(big + i))
  await agent.waitFor('3 more', () => agent.events.length === 10)
  t.same(agent.batches.slice(3).map((b) => b.events.length), [2, 1], 'a batch stops before 1024 bytes')

  const before = Date.now()
  r.enqueue(event('late'))
  await agent.waitFor('the timed batch', () => agent.events.length === 11)
  t.ok(Date.now() - before >= 40, 'a lone event waits for the flush interval')
  t.equal(new Set(agent.batches.map((b) => b.seq)).size, agent.batches.length, 'seq numbers are unique')
  await waitUntil('all acked', () => r.stats().acked === 11)
  t.match(r.stats(), { queued: 0, inflight: 0, sent: 11, acked: 11, dropped: 0 })
})

t.test('unacknowledged batches are resent after a lost connection, same ids', async (t) => {
  const agent = await FakeAgent.start({ ack: false })
  t.teardown(() => agent.close())
  const r = reporter(t, agent.address)
  r.start()
  await waitUntil('connected', () => r.stats().connected)
  for (let i = 0; i < 4; i++) r.enqueue(event(`r${i}`))
  await agent.waitFor('4 events, not acked', () => agent.events.length === 4)
  t.match(r.stats(), { inflight: 4, acked: 0 })
  const firstIds = agent.events.map((e) => e.id)

  agent.options.ack = true
  agent.dropConnections()
  await agent.waitFor('the same events again', () => agent.events.length === 8)
  t.same(agent.events.slice(4).map((e) => e.id), firstIds, 'resent in order, with their ids (the agent dedupes)')
  t.equal(agent.hellos.length, 2, 'reconnected once')
  await waitUntil('acked', () => r.stats().acked === 4)
  t.match(r.stats(), { inflight: 0, queued: 0, dropped: 0, sent: 8 })
  t.ok(r.stats().reconnects >= 1)
})

t.test('overflow drops the oldest; the exact count arrives in the hello and an agent.stats event', async (t) => {
  const path = unixPath(t)
  const r = reporter(t, `unix:${path}`, { queueSize: 5 })
  r.start()
  for (let i = 0; i < 12; i++) r.enqueue(event(`o${i}`))
  t.match(r.stats(), { queued: 5, dropped: 7 })

  const agent = await FakeAgent.start({ unix: path })
  t.teardown(() => agent.close())
  await agent.waitFor('stats and the 5 kept events', () => agent.events.length === 6)
  t.equal(agent.hellos[0]?.dropped, 7, 'hello.dropped')
  const [first, ...rest] = agent.events
  t.match(first as AgentStatsEvent, { kind: 'agent.stats', source: 'node-asm', stats: { component: 'sdk', counters: { dropped_events: 7 } } },
    'the agent.stats event goes first')
  t.same(labels(rest), ['o7', 'o8', 'o9', 'o10', 'o11'], 'the newest five, in order')

  // Once acknowledged the drops are reported: the next session starts clean.
  await waitUntil('acked', () => r.stats().acked === 5)
  agent.dropConnections()
  await agent.waitFor('a second hello', () => agent.hellos.length === 2)
  t.equal(agent.hellos[1]?.dropped, undefined, 'drops are not reported twice')
  t.equal(agent.eventsOf('agent.stats').length, 1)
  t.equal(r.stats().dropped, 7, 'the lifetime counter stays')
})

t.test('put back after a disconnect is still bounded, and its overflow is counted', async (t) => {
  const agent = await FakeAgent.start({ ack: false })
  t.teardown(() => agent.close())
  const r = reporter(t, agent.address, { queueSize: 5, batchEvents: 5, maxInflightBatches: 1 })
  r.start()
  await waitUntil('connected', () => r.stats().connected)
  for (let i = 0; i < 5; i++) r.enqueue(event(`p${i}`))
  await agent.waitFor('one batch of 5 in flight', () => agent.events.length === 5)
  for (let i = 5; i < 8; i++) r.enqueue(event(`p${i}`))
  t.match(r.stats(), { inflight: 5, queued: 3 }, 'the window is full: the rest waits')

  agent.options.ack = true
  agent.dropConnections()
  await agent.waitFor('stats and five events after reconnecting', () => agent.events.length === 11)
  t.equal(agent.hellos[1]?.dropped, 3, '5 put back + 3 queued = 8 > 5: the 3 oldest dropped')
  t.match(agent.events[5], { kind: 'agent.stats', stats: { counters: { dropped_events: 3 } } })
  t.same(labels(agent.events.slice(6)), ['p3', 'p4', 'p5', 'p6', 'p7'])
})

t.test('an agent sending garbage is dropped and retried; nothing throws', async (t) => {
  const agent = await FakeAgent.start({ garbage: true })
  t.teardown(() => agent.close())
  const r = reporter(t, agent.address)
  const stderr = captureStderr(t)
  r.start()
  r.enqueue(event('g0'))
  await agent.waitFor('a reconnect after the bad frame', () => agent.hellos.length >= 2)
  agent.options.garbage = false
  await agent.waitFor('the event, once the agent behaves', () => agent.events.length === 1)
  t.equal(stderr().filter((l) => l.includes('SW_ERR_AGENT_PROTOCOL')).length, 1, 'one warning line')
})

t.test('drops during a live session are reported without waiting for a reconnect', async (t) => {
  const agent = await FakeAgent.start({ ack: false })
  t.teardown(() => agent.close())
  const r = reporter(t, agent.address, { queueSize: 3, batchEvents: 1, maxInflightBatches: 1 })
  r.start()
  await waitUntil('connected', () => r.stats().connected)
  r.enqueue(event('l0'))
  await agent.waitFor('the first event', () => agent.events.length === 1)
  for (let i = 1; i < 5; i++) r.enqueue(event(`l${i}`))
  t.match(r.stats(), { dropped: 1, queued: 3, inflight: 1 }, 'window full: l1 dropped from the queue')
  const stats = await agent.waitFor('an agent.stats event', () => agent.eventsOf('agent.stats')[0] as AgentStatsEvent | undefined)
  t.equal(stats.stats.counters.dropped_events, 1)
  t.equal(agent.hellos.length, 1, 'same session')
})

t.test('an agent that is never there: one warning after five failed attempts', async (t) => {
  const stderr = captureStderr(t)
  const r = reporter(t, `unix:${unixPath(t)}`, { reconnectMinMs: 1, reconnectMaxMs: 2 })
  r.start()
  await waitUntil('8 attempts', () => r.stats().reconnects >= 8)
  const lines = stderr().filter((l) => l.includes('SW_ERR_AGENT_UNREACHABLE'))
  t.equal(lines.length, 1)
  t.match(lines[0], /^sidewatch: SW_ERR_AGENT_UNREACHABLE: agent at unix:\/.*agent\.sock is unreachable \(ENOENT\); keeping up to 10000 events and retrying\n$/)
})

t.test('an agent that never answers the hello is dropped after the handshake timeout', async (t) => {
  const agent = await FakeAgent.start({ welcome: false })
  t.teardown(() => agent.close())
  const r = reporter(t, agent.address, { handshakeTimeoutMs: 50 })
  r.start()
  await agent.waitFor('a second attempt', () => agent.hellos.length >= 2)
  t.equal(r.stats().connected, false)
})

t.test('beforeExit flush: connects now, sends, waits for the ack, only once', async (t) => {
  const path = unixPath(t)
  const r = reporter(t, `unix:${path}`, { reconnectMinMs: 60_000, reconnectMaxMs: 60_000 })
  r.start()
  r.enqueue(event('f0'))
  await waitUntil('the first attempt failed', () => r.stats().reconnects === 1)
  const agent = await FakeAgent.start({ unix: path })
  t.teardown(() => agent.close())
  r.beforeExit()
  await agent.waitFor('the event, without waiting a minute of backoff', () => agent.events.length === 1)
  await waitUntil('acked', () => r.stats().acked === 1)
  r.enqueue(event('f1'))
  r.beforeExit()
  t.equal(agent.connections, 1, 'a second beforeExit does nothing more')
})

function captureStderr (t: Test): () => string[] {
  const lines: string[] = []
  const write = process.stderr.write
  process.stderr.write = ((chunk: string | Uint8Array) => { lines.push(String(chunk)); return true }) as typeof write
  t.teardown(() => { process.stderr.write = write })
  return () => lines
}
