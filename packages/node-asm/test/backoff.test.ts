import t from 'tap'
import { Backoff } from '../src/reporter/backoff'

t.test('doubles from min to the cap, each delay in [d/2, d]', async (t) => {
  const low = new Backoff({ minMs: 100, maxMs: 10_000, random: () => 0 })
  const high = new Backoff({ minMs: 100, maxMs: 10_000, random: () => 0.999999 })
  const lows = Array.from({ length: 10 }, () => low.next())
  const highs = Array.from({ length: 10 }, () => high.next())
  t.same(lows, [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000])
  t.same(highs, [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000])
})

t.test('jitter spreads retries', async (t) => {
  const b = new Backoff({ minMs: 100, maxMs: 10_000 })
  for (let i = 0; i < 5; i++) b.next()
  const samples = new Set(Array.from({ length: 50 }, () => { const x = new Backoff({ minMs: 100, maxMs: 10_000 }); for (let i = 0; i < 5; i++) x.next(); return x.next() }))
  t.ok(samples.size > 10, `${samples.size} distinct delays out of 50`)
  for (const s of samples) t.ok(s >= 1600 && s <= 3200, `${s} within [1600, 3200]`)
})

t.test('reset goes back to min; toCap jumps to the cap', async (t) => {
  const b = new Backoff({ minMs: 100, maxMs: 10_000, random: () => 0.999999 })
  b.next(); b.next(); b.next()
  b.reset()
  t.equal(b.next(), 100)
  b.toCap()
  t.equal(b.next(), 10_000)
  t.equal(b.attempt, 8, 'log2(10000/100) rounded up, plus this one')
})

t.test('never overflows after many attempts', async (t) => {
  const b = new Backoff({ minMs: 100, maxMs: 10_000, random: () => 0.5 })
  let last = 0
  for (let i = 0; i < 5000; i++) last = b.next()
  t.equal(last, 7500)
})
