// End to end: the agent dies while the app runs. The app keeps serving and exits normally; when
// the agent comes back the SDK reconnects, delivers what its bounded queue kept, and reports
// exactly how many events it had to drop.
import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { get, Proc, readJsonl, REGISTER_CJS, SHOP, startAgent, startApp, tempDir, waitFor } from './helpers/processes'

t.test('agent killed mid-run, then restarted on the same socket', async (t) => {
  const agent1 = await startAgent(t, tempDir(t))
  const queueSize = 5
  const app = await startApp(t, join(SHOP, 'server.js'), {
    SIDEWATCH_AGENT: `unix:${agent1.unix}`, SIDEWATCH_TOKEN: 'e2e-token', SIDEWATCH_QUEUE_SIZE: String(queueSize),
    // Exact drop accounting needs a known event count: no dependency events from a late rescan.
    SIDEWATCH_INVENTORY: '0',
  })
  const appEvents = (file: string, kind: string) => readJsonl(file).filter((e) => e.kind === kind && e.pid === app.proc.child.pid)
  // Each /date request makes two events: its process.exec and its http.request.
  const perRequest = ['process.exec', 'http.request']
  const requestEvents = (file: string) => readJsonl(file).filter((e) => perRequest.includes(e.kind) && e.pid === app.proc.child.pid)

  t.equal((await get(app.port, '/date')).status, 200)
  await waitFor('the first request\'s events stored and acknowledged', () => requestEvents(agent1.jsonl).length === 2 || undefined)

  await agent1.proc.stop('SIGKILL')
  const whileDown = 12
  for (let i = 0; i < whileDown; i++) {
    t.equal((await get(app.port, '/date')).status, 200, `request ${i + 1} served while the agent is down`)
  }

  // A new agent on the same socket path, with fresh sinks: what arrives now came from the SDK's queue.
  const agent2 = await startAgent(t, tempDir(t), { unix: agent1.unix })
  const stats = await waitFor('the SDK reports its drops', () =>
    appEvents(agent2.jsonl, 'agent.stats').find((e) => e.stats.component === 'sdk'))
  t.equal(stats.stats.counters.dropped_events, perRequest.length * whileDown - queueSize, 'exact count of dropped events')
  const kept = await waitFor('the queued events delivered', () => {
    const got = requestEvents(agent2.jsonl)
    return got.length >= queueSize ? got : undefined
  })
  t.equal(new Set(kept.map((e) => e.id)).size, queueSize, 'the newest events the queue could hold, each once')
  t.equal(appEvents(agent2.jsonl, 'agent.stats').length, 1, 'the drops are recorded once')
  await agent2.proc.line('agent logs the drops', (l) => String(l.msg).includes('dropped') && l.dropped === perRequest.length * whileDown - queueSize)

  // Still connected: a new request is reported live.
  t.equal((await get(app.port, '/whoami')).status, 200)
  await waitFor('a live event after reconnecting', () => appEvents(agent2.jsonl, 'process.exec').some((e) => e.exec.method === 'spawn') || undefined)

  const exit = await app.proc.stop('SIGTERM')
  t.equal(exit.code, 0, 'the app exits normally')
})

t.test('a short script exits promptly and normally when no agent is running', async (t) => {
  const dir = tempDir(t)
  const started = Date.now()
  const child = spawn(process.execPath, ['-r', REGISTER_CJS, join(__dirname, 'fixtures', 'short-script.js')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // A 20 s flush timeout: were the SDK to wait for an agent on exit, it would take that long.
    env: { ...process.env, SIDEWATCH_AGENT: `unix:${join(dir, 'nobody-here.sock')}`, SIDEWATCH_TOKEN: 'x', SIDEWATCH_FLUSH_TIMEOUT_MS: '20000' },
  })
  const proc = new Proc(child, 'stdout')
  const exit = await proc.exited
  t.equal(exit.code, 0, 'exit code of the script')
  t.same(proc.text, ['done'], 'the script ran to its end')
  t.ok(Date.now() - started < 10000, 'not held up by the SDK')
})
