// The collector in process, over plain http on loopback: repeats within its window of recent
// event ids are dropped, ids that left the window are stored again, and nothing is dropped for
// being merely old.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import t from 'tap'
import type { SidewatchEvent } from '@sidewatch/proto'
import { Collector, EVENTS_PATH } from '../src/collect/collector'
import { createLogger } from '../src/log'
import { JsonlSink } from '../src/sinks/jsonl'
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

t.test('a jsonl sink stores each valid, new event\'s text as it was sent, or serialised when the body has line breaks', async (t) => {
  const file = join(t.testdir(), 'out.jsonl')
  const jsonl = await JsonlSink.open(file, { log, onError: () => {} })
  const collector = await Collector.start({ host: '127.0.0.1', port: 0, keys: ['k'], sinks: new SinkSet([jsonl], log), log })
  t.teardown(() => collector.close())
  const send = async (body: string): Promise<unknown> => {
    const res = await fetch(collector.url + EVENTS_PATH, { method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'application/json' }, body })
    return await res.json()
  }
  // Escapes and spacing that JSON.stringify would write otherwise; an invalid event and a repeat left out.
  const a = '{ "id":"a","ts":"2026-11-27T10:00:00.000Z","source":"agent","kind":"agent.stats","stats":{"component":"caf\\u00e9","counters":{}} }'
  const b = '{"id":"b","ts":"2026-11-27T10:00:00.000Z","source":"agent","kind":"agent.stats","stats":{"component":"x\\/y","counters":{"n":1.50}}}'
  t.same(await send(`{"events":[${a},{"id":"bad"},${b},${a}]}`), { accepted: 2, rejected: 1, duplicates: 1 })
  const c = { ...event('c'), stats: { component: 'pretty', counters: {} } }
  t.same(await send(JSON.stringify({ events: [c] }, null, 2)), { accepted: 1, rejected: 0, duplicates: 0 })
  await collector.close()
  await jsonl.close()
  t.same(readFileSync(file, 'utf8').split('\n'), [a, b, JSON.stringify(c), ''], 'a and b as sent, c (a body with line breaks) serialised')
})

t.test('gzip bodies: inflated in large chunks, and one that inflates past the bound is a 413', async (t) => {
  const sink = new MemorySink()
  const collector = await Collector.start({ host: '127.0.0.1', port: 0, keys: ['k'], sinks: new SinkSet([sink], log), log })
  t.teardown(() => collector.close())
  const post = (body: Buffer): Promise<Response> => fetch(collector.url + EVENTS_PATH, { method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'application/json', 'content-encoding': 'gzip' }, body })
  const ids = Array.from({ length: 3000 }, (_, i) => `ev-${i}`) // ~300 KB of JSON: more than one chunk
  const ok = await post(gzipSync(JSON.stringify({ events: ids.map(event) })))
  t.same([ok.status, await ok.json()], [200, { accepted: 3000, rejected: 0, duplicates: 0 }])
  t.same(sink.ids, ids)
  const bomb = await post(gzipSync(Buffer.alloc(65 * 1024 * 1024, 0x20))) // 65 MiB of spaces in ~65 KB
  t.equal(bomb.status, 413)
  t.match(await bomb.json(), { error: /SW_ERR_FRAME_TOO_LARGE: over \d+ bytes decompressed/ })
})
