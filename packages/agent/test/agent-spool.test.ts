// The spool in the running agent: an agent SIGKILLed mid-stream loses nothing it acknowledged;
// a full spool drops the oldest events and says so in an alert and in agent.stats.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { readJsonl, startAgent, tempDir, waitFor } from './helpers/agent'
import { TestClient, events } from './helpers/client'

t.test('SIGKILL mid-stream: every event the agent acknowledged is stored after a restart', async (t) => {
  const dir = tempDir(t)
  const first = await startAgent(t, { dir, config: { default_rules: false } })
  const client = await TestClient.greeted(first.tcp)
  const acked: string[] = []
  let seq = 0
  // Batches until the agent is killed under them.
  const sending = (async () => {
    for (;;) {
      const batch = Array.from({ length: 50 }, () => events.fsOp(`/srv/app/${seq}-${Math.random()}`))
      try {
        const { ack } = await client.batch(++seq, batch)
        if (ack.type !== 'ack') break
        acked.push(...batch.map((e) => e.id))
      } catch {
        break
      }
    }
  })()
  await waitFor('some batches acknowledged', () => acked.length >= 2000 ? true : undefined, 30_000)
  await first.proc.stop('SIGKILL')
  await sending
  client.close()
  const before = new Set(readJsonl(first.jsonl).map((e) => e.id as string))
  t.ok(acked.some((id) => !before.has(id)) || before.size >= acked.length, `killed with ${acked.length} acknowledged, ${before.size} already in the sink`)

  const second = await startAgent(t, { dir, config: { default_rules: false } })
  await second.proc.line('resend', (l) => l.msg === 'sending what the spool held from before' || l.msg === 'ready')
  const stored = await waitFor('every acknowledged event stored', () => {
    const ids = new Set(readJsonl(second.jsonl).map((e) => e.id as string))
    return acked.every((id) => ids.has(id)) ? ids : undefined
  }, 30_000)
  t.ok(acked.every((id) => stored.has(id)), `all ${acked.length} acknowledged events are in the sink`)
  t.equal((await second.proc.stop()).code, 0)
})

t.test('a full spool drops the oldest events for a dead sink, and says so', async (t) => {
  const dir = tempDir(t)
  // A sink that is down for good (nothing listens there): its events pile up in a small spool.
  const agent = await startAgent(t, { dir, config: { default_rules: false, spool_max_bytes: 1024 * 1024, stats_interval: 1 }, args: ['--sink', 'otlp+http://127.0.0.1:9/v1/logs'] })
  const client = await TestClient.greeted(agent.tcp)
  t.teardown(() => client.close())
  for (let seq = 1; seq <= 60; seq++) await client.batch(seq, Array.from({ length: 100 }, () => events.fsOp(`/srv/app/${'x'.repeat(200)}`)))
  const alert = await waitFor('the spool-full alert', () => readJsonl(agent.jsonl).find((e) => e.kind === 'alert' && e.alert.rule === 'Spool full: events dropped'), 20_000)
  t.match(alert.alert, { priority: 'error', output: /reached its bound of 1048576 bytes and dropped its oldest events \(so far: \d+ for otlp\+http:\/\/127\.0\.0\.1:9\/v1\/logs\)/ })
  const stats = await waitFor('spool counters in agent.stats', () => readJsonl(agent.jsonl).find((e) => e.kind === 'agent.stats' && e.stats.component === 'spool' && e.stats.counters['dropped.otlp+http://127.0.0.1:9/v1/logs'] > 0))
  t.ok(stats.stats.counters.bytes <= 1024 * 1024, 'held under the bound')
  t.equal(stats.stats.counters[`dropped.jsonl:${agent.jsonl}`], 0, 'the live jsonl sink lost nothing')
  t.ok(readFileSync(agent.jsonl, 'utf8').split('\n').filter((l) => l.includes('"fs.op"')).length === 6000, 'and has every event')
  t.equal((await agent.proc.stop()).code, 0)
})
