// Forked apps: the SDK never holds the process open for long, never changes how it exits, and
// delivers what it can on the way out.
import t, { type Test } from 'tap'
import { createServer, type Socket } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HttpSummaryEvent, ProcessExecEvent } from '@sidewatch/proto'
import { FakeAgent } from './helpers/fake-agent'
import { runFixture } from './helpers/run-fixture'

/**
 * "The exit was not delayed", without a timing assertion that a loaded machine can break: where
 * the SDK must not hold the process, the test sets a 20 s flush timeout, so a held process would
 * take 20 s or more, and a prompt one (however slow the machine) far less than 10 s.
 */
const HOLD_MS = 20000
const PROMPT_MS = 10000
const HOLD = { SIDEWATCH_FLUSH_TIMEOUT_MS: String(HOLD_MS) }

/** A loopback port with nothing listening on it (connection refused). */
async function refusedAddress (): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `tcp://127.0.0.1:${port}`
}

/** An agent that accepts connections and never says a word. */
async function hungAgent (t: Test): Promise<{ address: string, accepted: () => number }> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer((s) => { accepted++; sockets.add(s); s.on('error', () => {}) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close() })
  return { address: `tcp://127.0.0.1:${(server.address() as { port: number }).port}`, accepted: () => accepted }
}

t.test('agent down (connection refused): the app exits normally and at once', async (t) => {
  const run = await runFixture('short.js', { env: { ...HOLD, SIDEWATCH_AGENT: await refusedAddress() } })
  t.equal(run.code, 0)
  t.equal(run.stdout, 'done\n')
  // Quiet for a brief outage; after five failed attempts in a row (a slow machine gets there) one line says so.
  t.match(run.stderr, /^(sidewatch: SW_ERR_AGENT_UNREACHABLE: [^\n]*\n)?$/, 'at most the one unreachable warning')
  t.ok(run.ms < PROMPT_MS, `exited in ${run.ms} ms`)
})

t.test('agent down (no unix socket): the app exits normally and at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sidewatch-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const run = await runFixture('short.js', { env: { ...HOLD, SIDEWATCH_AGENT: `unix:${join(dir, 'nobody.sock')}` } })
  t.equal(run.code, 0)
  t.equal(run.stdout, 'done\n')
  t.ok(run.ms < PROMPT_MS, `exited in ${run.ms} ms`)
})

t.test('agent hung (accepts, never answers): the exit waits at most the flush timeout', async (t) => {
  const agent = await hungAgent(t)
  const run = await runFixture('short.js', { env: { SIDEWATCH_AGENT: agent.address, SIDEWATCH_FLUSH_TIMEOUT_MS: '600' } })
  t.equal(run.code, 0)
  t.equal(run.stdout, 'done\n')
  t.ok(agent.accepted() >= 1, 'the SDK did connect')
  t.ok(run.ms >= 550, `held for the flush timeout (${run.ms} ms)`)
  t.ok(run.ms < 600 + PROMPT_MS, `and not much longer (${run.ms} ms)`)
})

t.test('agent that never acks: the exit waits at most the flush timeout, the event is written', async (t) => {
  const agent = await FakeAgent.start({ ack: false })
  t.teardown(() => agent.close())
  const run = await runFixture('short.js', { env: { SIDEWATCH_AGENT: agent.address, SIDEWATCH_FLUSH_TIMEOUT_MS: '600' } })
  t.equal(run.code, 0)
  t.ok(run.ms < 600 + PROMPT_MS, `exited in ${run.ms} ms`)
  t.equal(agent.eventsOf('process.exec').length, 1, 'the event reached the agent')
})

t.test('agent up: a script that ends at once still delivers its event, promptly', async (t) => {
  const agent = await FakeAgent.start()
  t.teardown(() => agent.close())
  const run = await runFixture('short.js', { env: { ...HOLD, SIDEWATCH_AGENT: agent.address } })
  t.equal(run.code, 0)
  t.ok(run.ms < PROMPT_MS, `exited in ${run.ms} ms`)
  const [event] = agent.eventsOf('process.exec') as ProcessExecEvent[]
  t.match(event, { pid: run.pid, exec: { method: 'execFileSync', file: 'true' } }, 'delivered before the process was gone')
})

t.test('a live connection and armed timers do not keep the process alive', async (t) => {
  const agent = await FakeAgent.start()
  t.teardown(() => agent.close())
  const run = await runFixture('connected-idle.js', { env: { ...HOLD, SIDEWATCH_AGENT: agent.address } })
  t.equal(run.code, 0)
  t.same(JSON.parse(run.stdout), { connected: true }, 'the session was up when the app went idle')
  t.ok(run.ms < PROMPT_MS, `exited on its own in ${run.ms} ms`)
})

t.test("process.exit() right after an event: the 'exit' handler writes it", async (t) => {
  const agent = await FakeAgent.start()
  t.teardown(() => agent.close())
  const run = await runFixture('until.js', { args: ['connected', 'exit'], env: { SIDEWATCH_AGENT: agent.address, SIDEWATCH_FLUSH_INTERVAL_MS: '60000' } })
  t.equal(run.code, 0)
  t.match(JSON.parse(run.stdout), { ready: true })
  // The socket was written synchronously before the process died; the agent reads it after.
  const events = await agent.waitFor('the event written on exit', () => agent.eventsOf('process.exec').length === 1 && agent.eventsOf('process.exec'))
  t.match(events[0], { exec: { method: 'spawnSync', args: ['connected'] } })
})

t.test('wrong token: one warning line, the app is unaffected', async (t) => {
  const agent = await FakeAgent.start({ token: 'right' })
  t.teardown(() => agent.close())
  const run = await runFixture('until.js', { args: ['rejected', 'end'], env: { ...HOLD, SIDEWATCH_AGENT: agent.address, SIDEWATCH_TOKEN: 'wrong' } })
  t.equal(run.code, 0)
  t.match(JSON.parse(run.stdout), { ready: true, stats: { connected: false } })
  t.ok(agent.hellos.length >= 2, `refused ${agent.hellos.length} times (start and exit flush), warned once`)
  const lines = run.stderr.split('\n').filter(Boolean)
  t.equal(lines.length, 1, `exactly one line on stderr: ${run.stderr}`)
  t.match(lines[0], /^sidewatch: SW_ERR_AGENT_REJECTED: agent at tcp:\/\/127\.0\.0\.1:\d+ refused the handshake \(SW_ERR_AUTH: /)
  t.equal(agent.events.length, 0)
  t.ok(run.ms < PROMPT_MS, `exited in ${run.ms} ms`)
})

t.test('bad settings: one SW_ERR_CONFIG line naming them, defaults used, app unaffected', async (t) => {
  const agent = await FakeAgent.start()
  t.teardown(() => agent.close())
  const run = await runFixture('short.js', { env: { SIDEWATCH_AGENT: agent.address, SIDEWATCH_QUEUE_SIZE: 'lots', SIDEWATCH_MODE: 'yolo' } })
  t.equal(run.code, 0)
  t.equal(run.stdout, 'done\n')
  const lines = run.stderr.split('\n').filter(Boolean)
  t.equal(lines.length, 1)
  t.match(lines[0], /^sidewatch: SW_ERR_CONFIG: .*SIDEWATCH_QUEUE_SIZE="lots" is not an integer from 1 to 1000000; using 10000/)
  t.match(lines[0], /SIDEWATCH_MODE="yolo" is not monitor or block; using monitor/)
  t.equal(agent.eventsOf('process.exec').length, 1, 'still reporting')
})

t.test('SIGTERM with no handler of the app: what the SDK holds is delivered, the process still dies of SIGTERM', async (t) => {
  const agent = await FakeAgent.start()
  t.teardown(() => agent.close())
  const run = await runFixture('serve-until-signal.js', {
    env: { SIDEWATCH_AGENT: agent.address, SIDEWATCH_INVENTORY: '0', SIDEWATCH_SUMMARY_INTERVAL_MS: '3600000' },
    signalOn: { stdout: '"ready":true', signal: 'SIGTERM' },
  })
  t.match(run.stdout, /"connected":true/)
  t.equal(run.signal, 'SIGTERM', 'killed by the signal, as without the SDK')
  t.equal(run.code, null)
  const summary = await agent.waitFor('the http.summary of the window cut short', () => agent.eventsOf('http.summary')[0] as HttpSummaryEvent | undefined)
  t.same(summary.http.server.map((r) => [r.method, r.status, r.count]), [['GET', 200, 3]])
  t.equal(summary.pid, run.pid)
})

t.test('SIGINT likewise', async (t) => {
  const agent = await FakeAgent.start()
  t.teardown(() => agent.close())
  const run = await runFixture('serve-until-signal.js', {
    env: { SIDEWATCH_AGENT: agent.address, SIDEWATCH_INVENTORY: '0', SIDEWATCH_SUMMARY_INTERVAL_MS: '3600000' },
    signalOn: { stdout: '"ready":true', signal: 'SIGINT' },
  })
  t.equal(run.signal, 'SIGINT')
  await agent.waitFor('the summary', () => agent.eventsOf('http.summary').length === 1)
})

t.test("SIGTERM with the app's own handler: the SDK delivers and leaves the decision to the app", async (t) => {
  const agent = await FakeAgent.start()
  t.teardown(() => agent.close())
  const run = await runFixture('serve-until-signal.js', {
    args: ['--own-handler'],
    env: { SIDEWATCH_AGENT: agent.address, SIDEWATCH_INVENTORY: '0', SIDEWATCH_SUMMARY_INTERVAL_MS: '3600000' },
    signalOn: { stdout: '"ready":true', signal: 'SIGTERM' },
  })
  t.match(run.stdout, /own handler/)
  t.equal(run.code, 0, "the app's handler ran its cleanup and exited 0")
  t.equal(run.signal, null)
  await agent.waitFor('the summary', () => agent.eventsOf('http.summary').length === 1)
})

t.test('SIGTERM beside signal-exit listeners: neither waits for the other, the process dies of SIGTERM', async (t) => {
  const agent = await FakeAgent.start()
  t.teardown(() => agent.close())
  const run = await runFixture('serve-until-signal.js', {
    args: ['--signal-exit'],
    env: { SIDEWATCH_AGENT: agent.address, SIDEWATCH_INVENTORY: '0', SIDEWATCH_SUMMARY_INTERVAL_MS: '3600000' },
    signalOn: { stdout: '"ready":true', signal: 'SIGTERM' },
  })
  t.match(run.stdout, /"signalExit":true/)
  t.equal(run.signal, 'SIGTERM')
  t.match(run.stdout, /signal-exit saw SIGTERM/, "signal-exit's own exit callback ran too")
  await agent.waitFor('the summary', () => agent.eventsOf('http.summary').length === 1)
})
