// Fault injection: a receiver that accepts the connection and the batch, then never answers.
// Ingest goes on (every batch acknowledged to the client, the other sinks get everything); the
// hanging sink's batches time out and are retried, and arrive once the receiver answers again;
// a stop while a batch hangs does not wait out the sink's timeout, and what was not acknowledged
// is sent by the next start. Nothing lost, nothing stored twice by id.
import t from 'tap'
import { startBatchReceiver } from './helpers/batch-receiver'
import { readJsonl, startAgent, tempDir, waitFor } from './helpers/agent'
import { events, TestClient } from './helpers/client'

t.test('a receiver that takes batches and never answers: nothing stalls, nothing is lost', async (t) => {
  const dir = tempDir(t)
  const rx = await startBatchReceiver(t, 'process.exec') // not the agent's own agent.stats
  const sent: string[] = []
  const batchOf = (n: number): ReturnType<typeof events.exec>[] => Array.from({ length: n }, () => { const e = events.exec(); sent.push(e.id); return e })

  // 1. The receiver hangs; a 1 s answer timeout.
  const agent = await startAgent(t, { dir, args: ['--sink', rx.url], env: { SIDEWATCH_KEY: 'k', SIDEWATCH_SINK_TIMEOUT: '1s' } })
  const client = await TestClient.greeted(agent.tcp)
  for (let seq = 1; seq <= 5; seq++) t.match(await client.batch(seq, batchOf(100)), { ack: { accepted: 100 } }, `batch ${seq} acknowledged while the sink hangs`)
  await waitFor('all 500 in the jsonl sink', () => readJsonl(agent.jsonl).filter((e) => e.kind === 'process.exec').length === 500 || undefined)
  const timedOut = await agent.proc.line('the hanging batch timed out and is retried', (l) => l.code === 'SW_ERR_SINK' && l.msg === 'sink write failed; retrying', 15_000)
  t.match(JSON.stringify(timedOut.err), /timeout|Timeout/i, 'the log says it timed out')
  t.ok(rx.pending.length >= 1, 'the receiver holds unanswered batches')
  t.equal(rx.ids.size, 0, 'nothing counted as delivered')

  // 2. It answers again: every event arrives.
  rx.setHang(false)
  await waitFor('all 500 at the receiver', () => rx.ids.size === 500 || undefined, 30_000)
  client.socket.destroy()
  t.equal((await agent.proc.stop()).code, 0)

  // 3. A stop while a batch hangs, with the default 30 s timeout: the agent stops in seconds.
  rx.setHang(true)
  const second = await startAgent(t, { dir, args: ['--sink', rx.url], env: { SIDEWATCH_KEY: 'k' } })
  const client2 = await TestClient.greeted(second.tcp)
  const before = rx.pending.length
  t.match(await client2.batch(1, batchOf(100)), { ack: { accepted: 100 } })
  await waitFor('the batch in flight at the hanging receiver', () => rx.pending.length > before || undefined)
  client2.socket.destroy()
  const stopping = Date.now()
  t.equal((await second.proc.stop()).code, 0, 'a clean stop')
  const took = Date.now() - stopping
  t.ok(took < 10_000, `the stop took ${took} ms, not the sink's 30 s timeout`)
  t.ok(second.proc.lines.some((l) => l.msg === 'the sink did not answer before the stop; what it has not acknowledged stays in the spool for the next start'), 'the stop says what stays spooled')

  // 4. The next start sends what that batch held.
  rx.setHang(false)
  const third = await startAgent(t, { dir, args: ['--sink', rx.url], env: { SIDEWATCH_KEY: 'k' } })
  await waitFor('all 600 at the receiver', () => rx.ids.size === 600 || undefined, 30_000)
  t.same([...rx.ids].sort(), [...sent].sort(), 'exactly the events sent')
  t.equal((await third.proc.stop()).code, 0)
})
