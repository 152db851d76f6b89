// Fault injection: the disk under the spool fills up. The spool lives on a 1 MiB tmpfs the test
// mounts; one sink (a receiver that hangs) holds everything spooled, so the disk fills. The batch
// that does not fit is refused with SW_ERR_STORE_UNAVAILABLE and its connection closed (the
// client keeps it); the agent keeps serving; once the receiver answers, the spool drains, the
// space comes back, and the batch sent again is taken. Every event reaches every sink.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Message } from '@sidewatch/proto'
import { startBatchReceiver } from './helpers/batch-receiver'
import { httpGet, readJsonl, startAgent, tempDir, waitFor } from './helpers/agent'
import { events, TestClient } from './helpers/client'

function tmpfsUnavailable (): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root'
  return undefined
}

t.test('a full disk under the spool: refused, not lost, and taken again once there is room', { skip: tmpfsUnavailable() }, async (t) => {
  const dir = tempDir(t)
  const data = join(dir, 'data')
  mkdirSync(data)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', data])
  let mounted = true
  const unmount = (): void => { if (mounted) { mounted = false; execFileSync('umount', ['-l', data]) } }
  t.teardown(unmount)

  const rx = await startBatchReceiver(t, 'process.exec')
  const agent = await startAgent(t, { dir, args: ['--data-dir', data, '--sink', rx.url], env: { SIDEWATCH_KEY: 'k', SIDEWATCH_SINK_TIMEOUT: '1s' } })
  const sent: string[] = []
  let client = await TestClient.greeted(agent.tcp)
  let refused: { seq: number, events: ReturnType<typeof events.exec>[], reply: Message } | undefined
  for (let seq = 1; seq <= 200 && refused === undefined; seq++) {
    const batch = Array.from({ length: 100 }, () => events.exec())
    client.send({ type: 'events', seq, events: batch })
    const reply = await client.next(10_000)
    if (reply.type === 'ack') { sent.push(...batch.map((e) => e.id)); continue }
    refused = { seq, events: batch, reply }
  }
  if (refused === undefined) throw new Error('200 batches fit on a 1 MiB disk')
  t.match(refused.reply, { type: 'error', code: 'SW_ERR_STORE_UNAVAILABLE', message: /disk is full/ }, `batch ${refused.seq} refused with a clear error`)
  await client.waitClosed()
  await agent.proc.line('the refusal logged', (l) => l.code === 'SW_ERR_STORE_UNAVAILABLE')
  t.equal((await httpGet(agent.metrics, '/healthz')).status, 200, 'the agent keeps serving')
  const metrics = (await httpGet(agent.metrics, '/metrics')).body
  t.match(metrics, /sidewatch_events_refused_total\{kind="process.exec"\} 100/, 'the refused events are counted')

  // The receiver answers: the spool drains, its segments go, the disk has room again. The client
  // sends the refused batch again, as an SDK does after reconnecting.
  rx.setHang(false)
  await waitFor('the receiver has everything acknowledged so far', () => rx.ids.size === sent.length || undefined, 30_000)
  const again = await waitFor('the batch taken again', async () => {
    client = await TestClient.greeted(agent.tcp)
    client.send({ type: 'events', seq: 1, events: refused?.events })
    const reply = await client.next(10_000).catch(() => undefined)
    if (reply?.type === 'ack') return reply
    client.destroy()
    return undefined
  }, 30_000)
  t.match(again, { type: 'ack', accepted: 100 })
  sent.push(...refused.events.map((e) => e.id))
  client.destroy()

  await waitFor('every event at the receiver', () => rx.ids.size === sent.length || undefined, 30_000)
  const stored = new Set(readJsonl(agent.jsonl).filter((e) => e.kind === 'process.exec').map((e) => e.id as string))
  t.same([...stored].sort(), [...sent].sort(), 'and in the jsonl sink')
  t.same([...rx.ids].sort(), [...sent].sort(), 'exactly the events sent')
  t.equal((await agent.proc.stop()).code, 0)
  unmount()
})
