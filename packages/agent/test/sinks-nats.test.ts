// The nats sink against a real JetStream server: every event stored once under its id, repeats
// dropped by the stream, a server restart in the middle of a stream of batches losing nothing.
import { join } from 'node:path'
import t from 'tap'
import { connect } from 'nats'
import type { SidewatchEvent } from '@sidewatch/proto'
import { createLogger } from '../src/log'
import { NatsSink } from '../src/sinks/nats'
import { parseSinkSpec } from '../src/sinks/parse'
import { SinkPump } from '../src/spool/sink-pump'
import { Spool } from '../src/spool/spool'
import { waitFor } from './helpers/agent'
import { startNatsServer } from './helpers/nats-server'

const log = createLogger('silent')
const ctx = { log, onError: () => {} }
const event = (i: number): SidewatchEvent => ({ id: `ev-${i}`, ts: '2026-11-27T10:00:00.000Z', source: 'agent.net', kind: i % 2 === 0 ? 'agent.stats' : 'alert', ...(i % 2 === 0 ? { stats: { component: 'test', counters: { i } } } : { alert: { rule: 'R', priority: 'notice', output: `o${i}`, evidence: [] } }) }) as SidewatchEvent

/** Every message of the stream: its subject and event id. */
async function streamContents (url: string, stream = 'SIDEWATCH'): Promise<Array<{ subject: string, id: string }>> {
  const nc = await connect({ servers: url.replace('nats://', '') })
  try {
    const jsm = await nc.jetstreamManager()
    const info = await jsm.streams.info(stream)
    const out: Array<{ subject: string, id: string }> = []
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq })
      out.push({ subject: m.subject, id: (JSON.parse(Buffer.from(m.data).toString()) as { id: string }).id })
    }
    return out
  } finally {
    await nc.close()
  }
}

t.test('events go to sidewatch.<kind>, once each; a repeated batch is dropped by the stream', async (t) => {
  const server = await startNatsServer(t)
  const sink = await NatsSink.open(server.url, ctx)
  t.teardown(() => sink.close())
  const batch = Array.from({ length: 300 }, (_, i) => event(i))
  await sink.write(batch)
  await sink.write(batch) // the spool sends at least once
  const stored = await streamContents(server.url)
  t.equal(stored.length, 300, 'no doubles')
  t.same(stored.map((m) => m.id), batch.map((e) => e.id), 'in order')
  t.same(stored.slice(0, 2).map((m) => m.subject), ['sidewatch.agent.stats', 'sidewatch.alert'])
  t.equal(sink.duplicates, 300)
})

t.test('the server restarted while batches flow through the spool: nothing lost, nothing doubled', async (t) => {
  const server = await startNatsServer(t)
  const dir = t.testdir()
  const sink = await NatsSink.open(`${server.url}?stream=EVENTS`, ctx)
  t.teardown(() => sink.close())
  const spool = Spool.open(join(dir, 'spool'), { sinks: [sink.name] })
  const pump = new SinkPump(spool, sink, { log, batch: 100, minBackoffMs: 20, maxBackoffMs: 500 })
  pump.start()
  const total = 3000
  for (let i = 0; i < total; i += 100) {
    spool.append(Array.from({ length: 100 }, (_, k) => Buffer.from(JSON.stringify(event(i + k)))))
    pump.notify()
    if (i === 1000) await server.restart()
    await new Promise((resolve) => setImmediate(resolve))
  }
  await waitFor('the backlog sent', () => spool.stats().backlog[sink.name] === 0 ? true : undefined, 60_000)
  await pump.stop()
  spool.close()
  const ids = (await streamContents(server.url, 'EVENTS')).map((m) => m.id)
  t.equal(new Set(ids).size, total, 'every event is in the stream')
  t.equal(ids.length, total, 'and none twice')
})

t.test('ids that are not plain go message by message; an event over max_payload fails its batch clearly', async (t) => {
  const server = await startNatsServer(t)
  const sink = await NatsSink.open(server.url, ctx)
  t.teardown(() => sink.close())
  const json = (id: string): Buffer => Buffer.from(JSON.stringify({ ...event(0), id }))
  // Written into one buffer of protocol bytes; then a batch with an id holding a space (the
  // protocol line would break on it), through nats.js's publish() with the header it makes.
  await sink.writeRaw({ json: [json('a-1'), json('a-2')], ids: ['a-1', 'a-2'], kinds: ['agent.stats', 'agent.stats'] })
  await sink.writeRaw({ json: [json('b 1'), json('b-2')], ids: ['b 1', 'b-2'], kinds: ['agent.stats', 'alert'] })
  await sink.writeRaw({ json: [json('a-1'), json('b 1')], ids: ['a-1', 'b 1'], kinds: ['agent.stats', 'agent.stats'] }) // repeats of both kinds
  t.same(await streamContents(server.url), [
    { subject: 'sidewatch.agent.stats', id: 'a-1' }, { subject: 'sidewatch.agent.stats', id: 'a-2' },
    { subject: 'sidewatch.agent.stats', id: 'b 1' }, { subject: 'sidewatch.alert', id: 'b-2' },
  ], 'each once, on its kind\'s subject')
  t.equal(sink.duplicates, 2, 'the repeats were dropped by their Nats-Msg-Id')
  const big = Buffer.from(JSON.stringify({ ...event(0), id: 'c-1', pad: 'x'.repeat(2 * 1024 * 1024) }))
  await t.rejects(sink.writeRaw({ json: [json('c-0'), big], ids: ['c-0', 'c-1'], kinds: ['agent.stats', 'agent.stats'] }), /event c-1 is \d+ bytes with its header, over the NATS server's max_payload of \d+/)
  t.equal((await streamContents(server.url)).length, 4, 'nothing of the refused batch was sent')
})

t.test('bad specs and unreachable servers are clear errors', async (t) => {
  t.throws(() => parseSinkSpec('nats://'), { code: 'SW_ERR_SINK', message: /is not a URL like nats:\/\/127\.0\.0\.1:4222/ })
  t.throws(() => parseSinkSpec('nats://127.0.0.1:4222?stream=a.b'), { code: 'SW_ERR_SINK', message: /stream name "a.b"/ })
  t.same(parseSinkSpec('nats://u:p@127.0.0.1:4222'), { type: 'nats', url: 'nats://u:p@127.0.0.1:4222' })
  await t.rejects(NatsSink.open('nats://127.0.0.1:1', ctx), { code: 'SW_ERR_SINK', message: /cannot connect to NATS at 127\.0\.0\.1:1/ })
})
