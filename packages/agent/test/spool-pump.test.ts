// Sinks fed from the spool: delivery in order to a real jsonl sink, retries of a failing sink
// without loss, a slow sink not holding the others back.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { SidewatchEvent } from '@sidewatch/proto'
import { createLogger } from '../src/log'
import { JsonlSink } from '../src/sinks/jsonl'
import type { Sink } from '../src/sinks/sink'
import { SinkPump } from '../src/spool/sink-pump'
import { Spool } from '../src/spool/spool'
import { waitFor } from './helpers/agent'

const log = createLogger('silent')
const ctx = { log, onError: () => {} }
const event = (i: number): Buffer => Buffer.from(JSON.stringify({ id: `ev-${i}`, ts: '2026-11-27T10:00:00.000Z', source: 'agent', kind: 'agent.stats', stats: { component: 'test', counters: { i } } }))
const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { id: string }).id)

/** A sink that refuses its first `failures` writes, then passes everything to `inner`. */
function flaky (inner: Sink, failures: number): Sink & { attempts: number } {
  let left = failures
  const sink = {
    name: inner.name,
    attempts: 0,
    write: async (events: readonly SidewatchEvent[]) => {
      sink.attempts++
      if (left-- > 0) throw new Error('the back end is down')
      await inner.write(events)
    },
    flush: () => inner.flush(),
    close: () => inner.close(),
  }
  return sink
}

t.test('everything appended reaches the sink, in order, and leaves the spool', async (t) => {
  const dir = t.testdir()
  const file = join(dir, 'out.jsonl')
  const sink = await JsonlSink.open(file, ctx)
  const spool = Spool.open(join(dir, 'spool'), { sinks: [sink.name], segmentBytes: 4096 })
  const pump = new SinkPump(spool, sink, { log, batch: 100 })
  pump.start()
  for (let i = 0; i < 2000; i += 50) {
    spool.append(Array.from({ length: 50 }, (_, k) => event(i + k)))
    pump.notify()
  }
  await waitFor('all delivered', () => spool.stats().backlog[sink.name] === 0 ? true : undefined)
  await pump.stop()
  await sink.close()
  t.same(lines(file), Array.from({ length: 2000 }, (_, i) => `ev-${i}`))
  t.equal(spool.stats().segments, 1, 'sent segments deleted')
  t.match(pump.stats, { sent: 2000, failures: 0 })
  spool.close()
})

t.test('a sink that is down is retried with backoff; nothing lost, nothing doubled', async (t) => {
  const dir = t.testdir()
  const file = join(dir, 'out.jsonl')
  const inner = await JsonlSink.open(file, ctx)
  const sink = flaky(inner, 5)
  const spool = Spool.open(join(dir, 'spool'), { sinks: [sink.name] })
  const errors: unknown[] = []
  const pump = new SinkPump(spool, sink, { log, batch: 10, minBackoffMs: 5, maxBackoffMs: 40, onError: (_s, err) => errors.push(err) })
  spool.append(Array.from({ length: 35 }, (_, i) => event(i)))
  pump.start()
  await waitFor('delivered after the failures', () => spool.stats().backlog[sink.name] === 0 ? true : undefined)
  await pump.stop()
  await inner.close()
  t.same(lines(file), Array.from({ length: 35 }, (_, i) => `ev-${i}`), 'each event once, in order')
  t.equal(pump.stats.failures, 5)
  t.equal(errors.length, 5)
  t.equal(sink.attempts, 5 + 4, 'five refusals, then four batches')
  spool.close()
})

t.test('a dead sink does not hold back a live one', async (t) => {
  const dir = t.testdir()
  const file = join(dir, 'live.jsonl')
  const live = await JsonlSink.open(file, ctx)
  const dead = flaky(await JsonlSink.open(join(dir, 'dead.jsonl'), ctx), Infinity)
  Object.defineProperty(dead, 'name', { value: 'jsonl:dead' })
  const spool = Spool.open(join(dir, 'spool'), { sinks: [live.name, dead.name] })
  const pumps = [new SinkPump(spool, live, { log, minBackoffMs: 5, maxBackoffMs: 20 }), new SinkPump(spool, dead, { log, minBackoffMs: 5, maxBackoffMs: 20 })]
  for (const p of pumps) p.start()
  spool.append(Array.from({ length: 100 }, (_, i) => event(i)))
  for (const p of pumps) p.notify()
  await waitFor('the live sink has everything', () => spool.stats().backlog[live.name] === 0 ? true : undefined)
  t.equal(lines(file).length, 100)
  t.equal(spool.stats().backlog['jsonl:dead'], 100, 'kept for the dead one')
  for (const p of pumps) await p.stop()
  await live.close()
  spool.close()
})

t.test('batches in flight at once: acknowledged in order; a failed one is sent again with those after it', async (t) => {
  const dir = t.testdir()
  const spool = Spool.open(join(dir, 'spool'), { sinks: ['overlap'], segmentBytes: 4096 })
  const got: string[] = []
  let writes = 0
  let inFlight = 0
  let most = 0
  // Writes finish out of order (the later first), and the 3rd write fails once it has waited.
  const sink: Sink = {
    name: 'overlap',
    maxInFlight: 3,
    write: async (events) => {
      const n = ++writes
      inFlight++
      most = Math.max(most, inFlight)
      await new Promise((resolve) => setTimeout(resolve, n % 2 === 1 ? 20 : 2))
      inFlight--
      if (n === 3) throw new Error('refused')
      got.push(...events.map((e) => e.id))
    },
    flush: async () => {},
    close: async () => {},
  }
  const acks: Array<readonly [number, number]> = []
  const ack = spool.ack.bind(spool)
  spool.ack = (name, next) => { acks.push(next); ack(name, next) }
  const pump = new SinkPump(spool, sink, { log, batch: 10, minBackoffMs: 1, maxBackoffMs: 5 })
  for (let i = 0; i < 200; i += 25) spool.append(Array.from({ length: 25 }, (_, k) => event(i + k)))
  pump.start()
  await waitFor('all delivered', () => spool.stats().backlog.overlap === 0 ? true : undefined)
  await pump.stop()
  t.ok(most > 1 && most <= 3, `overlapping writes, at most maxInFlight (${most})`)
  const want = Array.from({ length: 200 }, (_, i) => `ev-${i}`)
  t.same([...new Set(got)].sort(), [...want].sort(), 'every record stored')
  t.ok(got.length > 200, 'the batches after the failed one were sent again (at least once)')
  t.ok(acks.every((p, i) => i === 0 || p[0] > (acks[i - 1] as readonly [number, number])[0] || p[1] > (acks[i - 1] as readonly [number, number])[1]), 'acknowledgements only move forward')
  t.equal(pump.stats.failures, 1)
  spool.close()
})
