// The collector in process, over plain http on loopback: repeats within its window of recent
// event ids are dropped, ids that left the window are stored again, and nothing is dropped for
// being merely old.
import t from 'tap'
import type { SidewatchEvent } from '@sidewatch/proto'
import { Collector, EVENTS_PATH } from '../src/collect/collector'
import { createLogger } from '../src/log'
import type { Sink } from '../src/sinks/sink'
import { SinkSet } from '../src/sinks/sink-set'

const log = createLogger('silent')
const event = (id: string): SidewatchEvent => ({ id, ts: '2026-11-27T10:00:00.000Z', source: 'agent', kind: 'agent.stats', stats: { component: 'test', counters: {} } }) as SidewatchEvent

class MemorySink implements Sink {
  readonly name = 'memory'
  readonly ids: string[] = []
  async write (events: readonly SidewatchEvent[]): Promise<void> { for (const e of events) this.ids.push(e.id) }
  async flush (): Promise<void> {}
  async close (): Promise<void> {}
}

async function post (url: string, ids: string[]): Promise<{ accepted: number, duplicates: number }> {
  const res = await fetch(url + EVENTS_PATH, { method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'application/json' }, body: JSON.stringify({ events: ids.map(event) }) })
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`)
  return await res.json() as { accepted: number, duplicates: number }
}

t.test('repeats are dropped within the window of recent ids; older ids are stored again', async (t) => {
  const sink = new MemorySink()
  const collector = await Collector.start({ host: '127.0.0.1', port: 0, keys: ['k'], sinks: new SinkSet([sink], log), log, recentIds: 3 })
  t.teardown(() => collector.close())
  t.same(await post(collector.url, ['a', 'b', 'a', 'c']), { accepted: 3, rejected: 0, duplicates: 1 }, 'a repeat within a batch')
  t.same(await post(collector.url, ['c', 'd']), { accepted: 1, rejected: 0, duplicates: 1 }, 'c is recent; d pushes a out')
  t.same(await post(collector.url, ['a', 'b']), { accepted: 1, rejected: 0, duplicates: 1 }, 'a left the window and is stored again; b had not')
  t.same(await post(collector.url, ['b', 'c']), { accepted: 1, rejected: 0, duplicates: 1 }, 'a pushed b out; c is still there (it goes as b comes back)')
  t.same(await post(collector.url, ['c']), { accepted: 1, rejected: 0, duplicates: 0 }, 'c is out now')
  t.same(sink.ids, ['a', 'b', 'c', 'd', 'a', 'b', 'c'])
  t.equal(collector.stats.duplicates, 4)
})

t.test('the window holds exactly its bound through many evictions', async (t) => {
  const sink = new MemorySink()
  const collector = await Collector.start({ host: '127.0.0.1', port: 0, keys: ['k'], sinks: new SinkSet([sink], log), log, recentIds: 1000 })
  t.teardown(() => collector.close())
  const batch = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `ev-${from + i}`)
  for (let from = 0; from < 20_000; from += 500) t.equal((await post(collector.url, batch(from, 500))).accepted, 500)
  t.same(await post(collector.url, batch(19_000, 1000)), { accepted: 0, rejected: 0, duplicates: 1000 }, 'the last 1000 are all remembered')
  t.same(await post(collector.url, batch(18_999, 1)), { accepted: 1, rejected: 0, duplicates: 0 }, 'the one before them is not')
})
