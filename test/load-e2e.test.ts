// Load, bounded: 200 SDK connections send as fast as the agent acknowledges, for a few seconds,
// while the agent also captures (the loopback interface, which carries that very traffic) and
// scans /proc. Every acknowledged event is stored, once; the agent's memory stays bounded; ack
// latency is reported. Then the agent is frozen (SIGSTOP: as overloaded as it gets) under a real
// app: the app serves on at its own pace, the SDK drops what its queue cannot hold, and once the
// agent thaws the drops it reports plus the events delivered are exactly the events made.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { events as sample, TestClient } from '../packages/agent/test/helpers/client'
import { get, readJsonl, SHOP, startAgent, startApp, tempDir, waitFor } from './helpers/processes'

const CONNECTIONS = 200
const SECONDS = 4

function rssMiB (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? 0 : Number(m[1]) / 1024
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

t.test(`${CONNECTIONS} connections at full speed for ${SECONDS} s, with capture and /proc scanning`, async (t) => {
  const capture = process.getuid?.() === 0 ? 'lo' : 'off'
  const agent = await startAgent(t, tempDir(t), { token: 'test-token', extra: ['--capture', capture, '--proc', 'on'] })
  const pid = agent.proc.child.pid as number
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => TestClient.greeted(agent.tcp)))
  t.equal(clients.length, CONNECTIONS, 'every connection welcomed')

  const acked = new Set<string>()
  const latencies: number[] = []
  let maxRss = rssMiB(pid)
  const sampler = setInterval(() => { maxRss = Math.max(maxRss, rssMiB(pid)) }, 100)
  const until = Date.now() + SECONDS * 1000
  await Promise.all(clients.map(async (client, c) => {
    for (let seq = 1; Date.now() < until; seq++) {
      const batch = Array.from({ length: 50 }, () => sample.exec({ service: `load-${c}` }))
      const sent = Date.now()
      const { ack } = await client.batch(seq, batch)
      latencies.push(Date.now() - sent)
      if (ack.type === 'ack' && ack.accepted === batch.length) for (const e of batch) acked.add(e.id)
    }
  }))
  clearInterval(sampler)
  for (const client of clients) client.destroy()
  latencies.sort((a, b) => a - b)
  const rate = Math.round(acked.size / SECONDS)
  t.comment(`${acked.size} events acknowledged (${rate}/s) over ${CONNECTIONS} connections; ack latency p50 ${percentile(latencies, 0.5)} ms, p99 ${percentile(latencies, 0.99)} ms; agent RSS at most ${Math.round(maxRss)} MiB; capture ${capture}`)
  t.ok(acked.size >= CONNECTIONS * 50, 'every connection got batches through')
  t.ok(maxRss < 512, `the agent's memory stayed bounded (${Math.round(maxRss)} MiB)`)

  const metrics = await (await fetch(`http://${agent.metrics}/metrics`)).text()
  t.match(metrics, new RegExp(`sidewatch_events_accepted_total\\{kind="process.exec"\\} ${acked.size}\\b`), 'the accepted count is exactly what was acknowledged')
  t.equal((await agent.proc.stop('SIGTERM')).code, 0)
  const stored = readJsonl(agent.jsonl).filter((e) => e.kind === 'process.exec' && String(e.service).startsWith('load-'))
  t.equal(stored.length, acked.size, 'every acknowledged event stored')
  t.equal(new Set(stored.map((e) => e.id)).size, acked.size, 'each once')
})

t.test('a frozen agent under a real app: the app serves on, the SDK drops and counts exactly', async (t) => {
  const agent = await startAgent(t, tempDir(t))
  const queueSize = 20
  const app = await startApp(t, join(SHOP, 'server.js'), {
    SIDEWATCH_AGENT: `unix:${agent.unix}`, SIDEWATCH_TOKEN: 'e2e-token', SIDEWATCH_QUEUE_SIZE: String(queueSize), SIDEWATCH_INVENTORY: '0',
  })
  const appPid = app.proc.child.pid as number
  // Each /date request makes two events: its process.exec and its http.request.
  const made = (n: number): number => 2 * n
  const mine = (kinds: string[]) => readJsonl(agent.jsonl).filter((e) => kinds.includes(e.kind) && e.pid === appPid)
  t.equal((await get(app.port, '/date')).status, 200)
  await waitFor('the first request\'s events stored', () => mine(['process.exec', 'http.request']).length === 2 || undefined)

  agent.proc.child.kill('SIGSTOP')
  t.teardown(() => { agent.proc.child.kill('SIGCONT') })
  const requests = 200
  const took: number[] = []
  for (let i = 0; i < requests; i++) {
    const at = Date.now()
    const res = await get(app.port, '/date')
    took.push(Date.now() - at)
    if (res.status !== 200) t.fail(`request ${i} answered ${res.status}`)
  }
  took.sort((a, b) => a - b)
  t.comment(`${requests} requests while the agent was frozen: p50 ${percentile(took, 0.5)} ms, p99 ${percentile(took, 0.99)} ms, max ${took[took.length - 1] ?? 0} ms`)
  t.ok((took[took.length - 1] ?? 0) < 5000, 'no request waited on the agent')
  agent.proc.child.kill('SIGCONT')

  // The SDK reports its drops in agent.stats events, each counting those since the one before.
  const droppedSoFar = (): number => readJsonl(agent.jsonl).filter((e) => e.kind === 'agent.stats' && e.pid === appPid && e.stats.component === 'sdk')
    .reduce((n, e) => n + Number(e.stats.counters.dropped_events ?? 0), 0)
  let dropped = 0
  const delivered = await waitFor('every event delivered or reported dropped', () => {
    const got = mine(['process.exec', 'http.request'])
    dropped = droppedSoFar()
    return got.length + dropped === made(requests + 1) ? got : undefined
  }, 30_000)
  t.ok(dropped > 0, 'the queue overflowed while the agent was frozen')
  t.equal(new Set(delivered.map((e) => e.id)).size, delivered.length, 'each delivered once')
  t.comment(`${made(requests + 1)} events made: ${delivered.length} delivered, ${dropped} dropped and counted`)
  t.equal((await app.proc.stop('SIGTERM')).code, 0, 'the app exits normally')
})
