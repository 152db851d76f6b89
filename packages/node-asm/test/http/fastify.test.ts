// Fastify 5 over the http-server instrumentation: route template and params from the root
// onRequest hook, JSON and urlencoded (@fastify/formbody) bodies as inputs, blocking from a handler.
import t from 'tap'
import { Instrumentations } from '../../src/hook'
import { httpServerInstrumentations } from '../../src/instrumentations/http-server'
import { fastifyInstrumentation } from '../../src/frameworks/fastify'
import { blockCurrentRequest } from '../../src/block-response'
import { currentRequest } from '../../src/request-context'
import { sleep, watchServer } from './serve'

const instrumentations = new Instrumentations([...httpServerInstrumentations, fastifyInstrumentation])
instrumentations.enable()
t.teardown(() => instrumentations.disable())

type Any = any
const fastify: Any = require('fastify')

const snapshot = (): unknown => {
  const ctx = currentRequest()
  return { route: ctx?.route, inputs: ctx?.inputs.filter((i) => i.source === 'body' || i.source === 'params').map((i) => `${i.source}:${i.name}=${i.value}`).sort() }
}

t.test('Fastify 5', async (t) => {
  const seen = watchServer()
  t.teardown(() => seen.off())
  const app = fastify()
  await app.register(require('@fastify/formbody'))
  await app.register(async (scope: Any) => {
    scope.get('/users/:id', async () => { await sleep(2); return snapshot() })
    scope.post('/users/:id/notes', async () => { await new Promise((resolve) => setTimeout(resolve, 2)); return snapshot() })
  }, { prefix: '/api' })
  app.post('/form', async () => snapshot())
  app.get('/block', async (_request: unknown, reply: Any) => {
    try {
      blockCurrentRequest()
      throw new Error('blocked')
    } catch {
      return reply.code(500).send({ error: 'internal' })
    }
  })
  app.get('/block-throw', async () => { blockCurrentRequest(); throw new Error('blocked') })
  const base: string = await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())

  t.test('route template with a plugin prefix, params', async (t) => {
    t.same(await (await fetch(`${base}/api/users/42`)).json(), { route: '/api/users/:id', inputs: ['params:params.id=42'] })
    const finish = await seen.finished('/api/users/42')
    t.equal(finish.request.route, '/api/users/:id')
    t.equal(finish.status, 200)
  })

  t.test('JSON body', async (t) => {
    const res = await fetch(`${base}/api/users/7/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi', ids: [1, 2] }) })
    t.same(await res.json(), { route: '/api/users/:id/notes', inputs: ['body:body.ids.0=1', 'body:body.ids.1=2', 'body:body.text=hi', 'params:params.id=7'] })
  })

  t.test('urlencoded body (@fastify/formbody)', async (t) => {
    const res = await fetch(`${base}/form`, { method: 'POST', body: new URLSearchParams({ host: '127.0.0.1; id', b: '2' }) })
    t.same(await res.json(), { route: '/form', inputs: ['body:body.b=2', 'body:body.host=127.0.0.1; id'] })
  })

  t.test('blocked: reply.code(500).send() in the catch, and a thrown error, cannot override the 403', async (t) => {
    for (const path of ['/block', '/block-throw']) {
      const res = await fetch(`${base}${path}`)
      t.equal(res.status, 403, path)
      const finish = await seen.finished(path)
      t.same(await res.json(), { error: 'blocked by sidewatch', request_id: finish.request.id })
      t.equal(finish.status, 403)
      t.equal(finish.request.blocked, true)
    }
  })

  t.test('unpatched: the hook of an existing instance does nothing; new instances get none', async (t) => {
    fastifyInstrumentation.unpatch(fastify)
    t.teardown(() => fastifyInstrumentation.patch(fastify))
    t.same(await (await fetch(`${base}/api/users/9`)).json(), { inputs: [] })
    const other = fastify()
    other.get('/x/:id', async () => snapshot())
    const otherBase: string = await other.listen({ port: 0, host: '127.0.0.1' })
    t.teardown(() => other.close())
    t.same(await (await fetch(`${otherBase}/x/1`)).json(), { inputs: [] })
  })

  t.test('404 has a finish and no route', async (t) => {
    t.equal((await fetch(`${base}/nope`)).status, 404)
    const finish = await seen.finished('/nope')
    t.equal(finish.status, 404)
    await sleep(20)
    t.equal(seen.starts.length, seen.finishes.length, 'one finish per start')
  })
})
