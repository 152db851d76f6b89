import t from 'tap'
import { decodeFrame, FrameDecoder, type EventsMessage, type SidewatchEvent } from '@sidewatch/proto'
import { BatchCutter, eventsFrame, MAX_EVENT_BYTES } from '../src/reporter/batch'
import { BoundedQueue } from '../src/reporter/queue'

const ev = (id: string, pad = 0): SidewatchEvent => ({
  id, ts: '2026-01-01T00:00:00.000Z', kind: 'agent.stats', source: 'node-asm', stats: { component: 'x'.repeat(pad), counters: {} },
})

t.test('cuts by count and by bytes, keeping order; the head that did not fit comes next', async (t) => {
  const q = new BoundedQueue<SidewatchEvent>(100)
  for (let i = 0; i < 5; i++) q.push(ev(`e${i}`, 300))
  const cutter = new BatchCutter(3, 1024)
  const sizes: string[][] = []
  for (let b = cutter.take(q, () => t.fail('none too large')); b !== undefined; b = cutter.take(q, () => {})) {
    sizes.push(b.events.map((e) => e.id))
    t.same(b.json.map((j) => (JSON.parse(j) as SidewatchEvent).id), b.events.map((e) => e.id), 'json matches events')
  }
  t.same(sizes, [['e0', 'e1'], ['e2', 'e3'], ['e4']])
})

t.test('a single event larger than a batch still goes, alone; one larger than a frame is dropped', async (t) => {
  const q = new BoundedQueue<SidewatchEvent>(10)
  q.push(ev('big', 2000))
  q.push(ev('huge', MAX_EVENT_BYTES))
  q.push(ev('small'))
  const cutter = new BatchCutter(10, 1024)
  let tooLarge = 0
  t.same(cutter.take(q, () => tooLarge++)?.events.map((e) => e.id), ['big'])
  t.same(cutter.take(q, () => tooLarge++)?.events.map((e) => e.id), ['small'])
  t.equal(tooLarge, 1)
  t.equal(cutter.take(q, () => tooLarge++), undefined)
})

t.test('eventsFrame is a valid events message', async (t) => {
  const frame = eventsFrame(42, [JSON.stringify(ev('a')), JSON.stringify(ev('b'))])
  const got: EventsMessage[] = []
  new FrameDecoder().push(frame, (f) => got.push(decodeFrame(f) as EventsMessage))
  t.match(got, [{ type: 'events', seq: 42, events: [{ id: 'a' }, { id: 'b' }] }])
})
