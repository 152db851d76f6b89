import t from 'tap'
import { BoundedQueue } from '../src/reporter/queue'

t.test('FIFO under capacity', async (t) => {
  const q = new BoundedQueue<number>(3)
  t.equal(q.push(1) + q.push(2), 0)
  t.equal(q.peek(), 1)
  t.equal(q.shift(), 1)
  t.equal(q.shift(), 2)
  t.equal(q.shift(), undefined)
  t.equal(q.length, 0)
})

t.test('full: push drops the oldest and counts it', async (t) => {
  const q = new BoundedQueue<number>(3)
  let dropped = 0
  for (let i = 0; i < 10; i++) dropped += q.push(i)
  t.equal(dropped, 7)
  t.equal(q.dropped, 7)
  t.same(q.drain(), [7, 8, 9])
})

t.test('unshiftMany puts older items in front, dropping the oldest of them on overflow', async (t) => {
  const q = new BoundedQueue<string>(5)
  q.push('c'); q.push('d'); q.push('e')
  t.equal(q.unshiftMany(['x', 'y', 'a', 'b']), 2, 'room for 2 of 4')
  t.same(q.drain(), ['a', 'b', 'c', 'd', 'e'])
  t.equal(q.dropped, 2)

  const full = new BoundedQueue<string>(2)
  full.push('n1'); full.push('n2')
  t.equal(full.unshiftMany(['o1', 'o2']), 2, 'no room: all put-back items dropped, the newer queued ones kept')
  t.same(full.drain(), ['n1', 'n2'])
})

t.test('unshiftMany reuses the free head after shifts', async (t) => {
  const q = new BoundedQueue<number>(10)
  for (let i = 0; i < 6; i++) q.push(i)
  q.shift(); q.shift(); q.shift()
  t.equal(q.unshiftMany([100, 101]), 0)
  t.same(q.drain(), [100, 101, 3, 4, 5])
})

t.test('long runs stay consistent and compact (amortised O(1))', async (t) => {
  const q = new BoundedQueue<number>(1000)
  let next = 0
  let expect = 0
  let dropped = 0
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 37; i++) dropped += q.push(next++)
    for (let i = 0; i < 30 && q.length > 0; i++) {
      const v = q.shift() as number
      if (v < expect) t.fail(`out of order: ${v} after ${expect}`)
      expect = v + 1
    }
  }
  t.equal(q.dropped, dropped)
  t.ok(q.length <= 1000)
  const rest = q.drain()
  t.same(rest, Array.from({ length: rest.length }, (_, i) => next - rest.length + i), 'the newest remain, in order')
})

t.test('capacity must be a positive integer', async (t) => {
  t.throws(() => new BoundedQueue(0), RangeError)
  t.throws(() => new BoundedQueue(1.5), RangeError)
})
