// The query's inputs: the fast path for plain queries must give exactly what URLSearchParams
// gives, for every query (seeded random queries over the characters that matter: separators,
// escapes, `+`, non-ASCII, repeated names), in the same order.
import t from 'tap'
import { addInputs, createRequestContext } from '../../src/request-context'
import { addUrlInputs } from '../../src/request-inputs'
import { randomText, seededInts } from '../helpers/seeded'

const viaUrl = (query: string): string[] => {
  const ctx = createRequestContext({ method: 'GET', url: `/x?${query}` })
  addUrlInputs(ctx, `/x?${query}`)
  return ctx.inputs.filter((i) => i.source === 'query').map((i) => `${i.name}=${i.value}`)
}
const viaSearchParams = (query: string): string[] => {
  const ctx = createRequestContext({ method: 'GET', url: '/x' })
  if (query !== '') addInputs(ctx, 'query', new URLSearchParams(query))
  return ctx.inputs.map((i) => `${i.name}=${i.value}`)
}

t.test('same inputs as URLSearchParams on 100,000 seeded random queries', async (t) => {
  const alphabet = ['a', 'b', 'c', '=', '=', '&', '&', '%', '2', 'F', '+', '.', '/', 'é', ';', '#']
  const next = seededInts(0xc0ffee)
  let differ = 0
  const examples: string[] = []
  for (let i = 0; i < 100_000; i++) {
    const query = randomText(next, alphabet, 14)
    const cut = query.indexOf('#') // a fragment never reaches the query
    const expected = viaSearchParams(cut === -1 ? query : query.slice(0, cut))
    if (JSON.stringify(viaUrl(query)) !== JSON.stringify(expected)) { differ++; if (examples.length < 5) examples.push(JSON.stringify(query)) }
  }
  t.equal(differ, 0, `queries read differently: ${examples.join(', ')}`)
})

t.test('named cases', async (t) => {
  t.same(viaUrl('name=catalog.txt&page=2'), ['query.name=catalog.txt', 'query.page=2'])
  t.same(viaUrl('ids=1&ids=2'), ['query.ids.0=1', 'query.ids.1=2'], 'repeated names are numbered')
  t.same(viaUrl('q=a+b%20c'), ['query.q=a b c'], 'decoded')
  t.same(viaUrl('flag&&x='), ['query.flag=', 'query.x='])
  const long = Array.from({ length: 40 }, (_, i) => `k${i}=v`).join('&')
  t.equal(viaUrl(long).length, 40, 'a long query (full parser) loses nothing')
})
