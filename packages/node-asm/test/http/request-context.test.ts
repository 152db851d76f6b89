// Flattening request inputs: dotted names, bounds (count, value length, depth, work), dedup,
// lazy readers; and a huge JSON body through Express that must stay bounded.
import t from 'tap'
import { Instrumentations } from '../../src/hook'
import { httpServerInstrumentations } from '../../src/instrumentations/http-server'
import { expressInstrumentation } from '../../src/frameworks/express'
import {
  addInputReader, addInputs, createRequestContext, currentRequest, MAX_DEPTH, MAX_INPUTS, MAX_VALUE, requestObjects,
} from '../../src/request-context'
import { parseCookies } from '../../src/request-inputs'
import { close, listen, watchServer } from './serve'

const names = (ctx: ReturnType<typeof createRequestContext>): string[] => ctx.inputs.map((i) => `${i.name}=${i.value}`)
const fresh = (): ReturnType<typeof createRequestContext> => createRequestContext({ id: 'id', method: 'GET', url: '/' })

t.test('flattening: dotted names for objects and arrays, scalars as strings', async (t) => {
  const ctx = fresh()
  addInputs(ctx, 'body', { user: { email: 'a@b', age: 41, admin: false, tags: ['x', { y: 'z' }] }, nil: null, u: undefined, f: () => 1 })
  addInputs(ctx, 'query', new URLSearchParams('ids=1&ids=2&q=a+b'))
  addInputs(ctx, 'body', Buffer.from('raw text'), 'body')
  t.same(names(ctx), [
    'body.user.email=a@b', 'body.user.age=41', 'body.user.admin=false', 'body.user.tags.0=x', 'body.user.tags.1.y=z',
    'query.ids.0=1', 'query.ids.1=2', 'query.q=a b', 'body=raw text',
  ])
  t.equal(ctx.inputs.every((i) => i.source === (i.name.startsWith('query') ? 'query' : 'body')), true)
})

t.test('the same input is added once; readers run when inputs or route are read', async (t) => {
  const ctx = fresh()
  addInputs(ctx, 'params', { id: '1' })
  addInputs(ctx, 'params', { id: '1' })
  t.equal(ctx.inputs.length, 1)
  const holder: { body?: unknown } = {}
  let runs = 0
  addInputReader(ctx, (c) => { runs++; if (holder.body !== undefined) addInputs(c, 'body', holder.body); c.route = '/r' })
  t.equal(ctx.inputs.length, 1)
  holder.body = { late: 'yes' }
  t.same(names(ctx), ['params.id=1', 'body.late=yes'], 'a body parsed later is seen when inputs are read')
  t.equal(ctx.route, '/r')
  t.ok(runs >= 2)
  t.same(requestObjects(ctx), { req: undefined, res: undefined })
  t.equal(currentRequest(), undefined)
  t.equal(JSON.parse(JSON.stringify(ctx)).inputs.length, 2, 'serialisable, accessors included')
})

t.test('bounds: inputs, value length, depth, and work on empty objects', async (t) => {
  const ctx = fresh()
  const big: Record<string, string> = {}
  for (let i = 0; i < 10_000; i++) big[`k${i}`] = 'v'
  addInputs(ctx, 'body', { long: 'x'.repeat(100_000), big })
  t.equal(ctx.inputs.length, MAX_INPUTS)
  t.equal(ctx.inputs[0]?.value.length, MAX_VALUE)
  addInputs(ctx, 'query', { more: '1' })
  t.equal(ctx.inputs.length, MAX_INPUTS, 'no more once full')

  let deep: unknown = 'bottom'
  for (let i = 0; i < 50; i++) deep = { d: deep }
  const d = fresh()
  addInputs(d, 'body', deep)
  t.equal(d.inputs.length, 0, `nothing below depth ${MAX_DEPTH}`)
  const shallow = fresh()
  addInputs(shallow, 'body', { a: { b: { c: 'ok' } } })
  t.same(names(shallow), ['body.a.b.c=ok'])

  const cyclic: Record<string, unknown> = { name: 'c' }
  cyclic.self = cyclic
  const c = fresh()
  addInputs(c, 'body', cyclic)
  t.ok(c.inputs.length <= MAX_DEPTH + 1, 'a cycle stops at the depth limit')

  const empties = fresh()
  // Counts the elements read: the walk must stop long before a million (not a timing: CI is loaded).
  let reads = 0
  const million = new Proxy(Array.from({ length: 1_000_000 }, () => ({})), {
    get (target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++
      return Reflect.get(target, key, receiver) as unknown
    },
  })
  addInputs(empties, 'body', million)
  t.equal(empties.inputs.length, 0)
  t.ok(reads <= 4096, `a million empty objects: ${reads} elements visited`)
})

t.test('the initial reader runs once, at the first read of inputs, not of route', async (t) => {
  let runs = 0
  const ctx = createRequestContext({ id: 'id', method: 'GET', url: '/' }, undefined, undefined, (c) => { runs++; addInputs(c, 'query', { q: '1' }) })
  t.equal(ctx.route, undefined)
  t.equal(runs, 0, 'reading the route parses nothing')
  t.same(names(ctx), ['query.q=1'])
  t.same(names(ctx), ['query.q=1'])
  t.equal(runs, 1)
})

t.test('parseCookies', async (t) => {
  t.same({ ...parseCookies('a=1; b="two"; c=%3Cx%3E; bad=%E0%A4%A; =x; noeq; a=again') }, { a: '1', b: 'two', c: '<x>', bad: '%E0%A4%A' })
})

t.test('a huge JSON body through Express stays bounded', async (t) => {
  const instrumentations = new Instrumentations([...httpServerInstrumentations, expressInstrumentation])
  instrumentations.enable()
  t.teardown(() => instrumentations.disable())
  const express = require('express')
  const seen = watchServer()
  t.teardown(() => seen.off())
  const app = express()
  app.use(express.json({ limit: '50mb' }))
  app.post('/big', (_req: unknown, res: { json: (v: unknown) => void }) => {
    const inputs = currentRequest()?.inputs ?? []
    res.json({ count: inputs.length, longest: Math.max(...inputs.map((i) => i.value.length)) })
  })
  const server = app.listen(0, '127.0.0.1')
  const base = await listen(server)
  t.teardown(() => close(server))
  const body = { blob: 'A'.repeat(5_000_000), items: Array.from({ length: 100_000 }, (_, i) => ({ id: i, name: `n${i}` })) }
  const res = await fetch(`${base}/big`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  t.same(await res.json(), { count: MAX_INPUTS, longest: MAX_VALUE })
})
