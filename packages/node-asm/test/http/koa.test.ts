// Koa 3 with @koa/router and @koa/bodyparser over the http-server instrumentation: the matched
// route, params and bodies, read lazily through the Koa context; blocking from a middleware.
import t from 'tap'
import http = require('node:http')
import { Instrumentations } from '../../src/hook'
import { httpServerInstrumentations } from '../../src/instrumentations/http-server'
import { koaInstrumentation, isWrapped } from '../../src/frameworks/koa'
import { blockCurrentRequest } from '../../src/block-response'
import { currentRequest } from '../../src/request-context'
import { close, listen, sleep, watchServer } from './serve'

const instrumentations = new Instrumentations([...httpServerInstrumentations, koaInstrumentation])
instrumentations.enable()
t.teardown(() => instrumentations.disable())

type Any = any
const Koa: Any = require('koa')
const Router: Any = require('@koa/router').Router ?? require('@koa/router')
const { bodyParser }: Any = require('@koa/bodyparser')

const snapshot = (): unknown => {
  const ctx = currentRequest()
  return { route: ctx?.route, inputs: ctx?.inputs.filter((i) => i.source === 'body' || i.source === 'params').map((i) => `${i.source}:${i.name}=${i.value}`).sort() }
}

t.test('Koa 3 + @koa/router', async (t) => {
  t.ok(isWrapped(Koa.prototype.createContext))
  const seen = watchServer()
  t.teardown(() => seen.off())
  const app = new Koa()
  app.use(async (ctx: Any, next: () => Promise<void>) => {
    try {
      await next()
    } catch {
      ctx.status = 500
      ctx.body = { error: 'internal' }
    }
  })
  app.use(bodyParser())
  const router = new Router({ prefix: '/api' })
  router.get('/users/:id', async (ctx: Any) => { await sleep(2); ctx.body = snapshot() })
  router.post('/users/:id/notes', async (ctx: Any) => { await new Promise((resolve) => setTimeout(resolve, 2)); ctx.body = snapshot() })
  router.post('/form', async (ctx: Any) => { ctx.body = snapshot() })
  router.get('/block', async () => { blockCurrentRequest(); throw new Error('blocked') })
  app.use(router.routes())
  const server = http.createServer(app.callback())
  const base = await listen(server)
  t.teardown(() => close(server))

  t.test('route template and params', async (t) => {
    t.same(await (await fetch(`${base}/api/users/42`)).json(), { route: '/api/users/:id', inputs: ['params:params.id=42'] })
    const finish = await seen.finished('/api/users/42')
    t.equal(finish.request.route, '/api/users/:id')
    t.equal(finish.status, 200)
  })

  t.test('JSON and urlencoded bodies', async (t) => {
    const json = await fetch(`${base}/api/users/7/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: { b: 'c' } }) })
    t.same(await json.json(), { route: '/api/users/:id/notes', inputs: ['body:body.a.b=c', 'params:params.id=7'] })
    const form = await fetch(`${base}/api/form`, { method: 'POST', body: new URLSearchParams({ file: '../../etc/passwd' }) })
    t.same(await form.json(), { route: '/api/form', inputs: ['body:body.file=../../etc/passwd'] })
  })

  t.test('blocked: the app middleware that turns errors into 500 cannot override the 403', async (t) => {
    const res = await fetch(`${base}/api/block`, { headers: { accept: 'text/html' } })
    t.equal(res.status, 403)
    t.match(await res.text(), /<h1>403 Forbidden<\/h1>/)
    const finish = await seen.finished('/api/block')
    t.equal(finish.status, 403)
    t.equal(finish.request.blocked, true)
    t.equal(finish.request.route, '/api/block')
  })
})
