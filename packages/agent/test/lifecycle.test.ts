// Start-up and shutdown: the unix socket's permissions and stale files, and SIGTERM/SIGINT
// flushing everything acknowledged before the agent exits 0.
import t from 'tap'
import Database from 'better-sqlite3'
import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readJsonl, spawnAgent, startAgent, tempDir, waitFor } from './helpers/agent'
import { TestClient, events } from './helpers/client'

t.test('SIGTERM and SIGINT flush both sinks and exit 0 within 5 s', async (t) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // A long stats interval and flush timers that have not fired yet: only shutdown can write these.
    const agent = await startAgent(t, { config: { stats_interval: 3600 } })
    const client = await TestClient.greeted(agent.unix)
    const sent = Array.from({ length: 300 }, (_, i) => events.exec({ pid: i }))
    t.match(await client.batch(1, sent.slice(0, 150)), { ack: { accepted: 150 } })
    t.match(await client.batch(2, sent.slice(150)), { ack: { accepted: 150 } })
    agent.proc.child.kill(signal)
    const exit = await agent.proc.exited
    // Exit code 0 means the shutdown finished before the agent's own 5 s watchdog (which exits 1).
    t.equal(exit.code, 0, `${signal}: exit code 0, within the 5 s shutdown limit`)
    await client.waitClosed()

    const ids = new Set(sent.map((e) => e.id))
    const lines = readJsonl(agent.jsonl)
    t.equal(lines.filter((e) => ids.has(e.id)).length, 300, `${signal}: all 300 in jsonl`)
    t.ok(lines.some((e) => e.kind === 'agent.stats' && e.stats.component === 'agent'), `${signal}: final agent.stats written`)
    const db = new Database(agent.db, { readonly: true })
    t.equal((db.prepare("SELECT count(*) AS n FROM events WHERE kind = 'process.exec'").get() as { n: number }).n, 300, `${signal}: all 300 in sqlite`)
    db.close()
    t.ok(agent.proc.lines.some((l) => l.msg === 'shutting down' && l.signal === signal))
    t.ok(agent.proc.lines.some((l) => l.msg === 'stopped'))
  }
})

t.test('the unix socket is 0600 in a 0700 directory it creates', async (t) => {
  const dir = tempDir(t)
  const sockDir = join(dir, 'run', 'sidewatch')
  const proc = spawnAgent(['run', '--listen', `unix:${join(sockDir, 'agent.sock')}`, '--sink', `jsonl:${join(dir, 'e.jsonl')}`])
  t.teardown(() => proc.stop('SIGKILL'))
  await proc.line('listening', (l) => l.msg === 'listening')
  t.equal(statSync(join(sockDir, 'agent.sock')).mode & 0o777, 0o600, 'socket mode')
  t.equal(statSync(sockDir).mode & 0o777, 0o700, 'directory mode')
  t.equal((await proc.stop()).code, 0)
  t.throws(() => statSync(join(sockDir, 'agent.sock')), { code: 'ENOENT' }, 'socket removed on exit')
})

t.test('a stale socket is replaced; a live one or a regular file is refused', async (t) => {
  const dir = tempDir(t)
  const sock = join(dir, 'agent.sock')
  // Each agent its own data dir: one spool per agent (that lock is tested in spool.test.ts).
  const args = (n: number) => ['run', '--listen', `unix:${sock}`, '--sink', `jsonl:${join(dir, `e${n}.jsonl`)}`, '--data-dir', join(dir, `data${n}`)]

  const first = spawnAgent(args(1))
  t.teardown(() => first.stop('SIGKILL'))
  await first.line('first listening', (l) => l.msg === 'listening')

  const second = spawnAgent(args(2))
  const refused = await second.exited
  t.equal(refused.code, 1, 'a second agent on a live socket exits 1')
  t.match(second.text.join('\n'), /sidewatch-agent: SW_ERR_LISTEN_FAILED: another agent is listening on /)

  await first.stop('SIGKILL')
  t.ok(statSync(sock).isSocket(), 'the killed agent left its socket behind')
  const third = spawnAgent(args(3))
  t.teardown(() => third.stop('SIGKILL'))
  await third.line('stale socket removed', (l) => l.msg === 'removed stale socket')
  await third.line('third listening', (l) => l.msg === 'listening')
  const client = await TestClient.greeted(`unix:${sock}`, { token: undefined })
  await client.close()
  await third.stop()

  const file = join(dir, 'not-a-socket')
  writeFileSync(file, 'keep me')
  const fourth = spawnAgent(['run', '--listen', `unix:${file}`, '--sink', `jsonl:${join(dir, 'e4.jsonl')}`])
  t.equal((await fourth.exited).code, 1)
  t.match(fourth.text.join('\n'), /SW_ERR_LISTEN_FAILED: .*not-a-socket exists and is not a socket/)
})

t.test('jsonl:- writes events to stdout', async (t) => {
  const dir = tempDir(t)
  const proc = spawnAgent(['run', '--listen', 'tcp://127.0.0.1:0', '--sink', 'jsonl:-', '--sink', `sqlite:${join(dir, 'e.db')}`])
  t.teardown(() => proc.stop('SIGKILL'))
  let stdout = ''
  proc.child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  const ready = await proc.line('ready', (l) => l.msg === 'ready')
  const client = await TestClient.greeted(ready.addresses[0], { token: undefined })
  const ev = events.exec()
  await client.batch(1, [ev])
  const line = await waitFor('the event on stdout', () => stdout.split('\n').find((l) => l.includes(ev.id)))
  t.same(JSON.parse(line), ev)
  await client.close()
  t.equal((await proc.stop()).code, 0)
})
