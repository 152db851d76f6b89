// Express 4 and 5 over the http-server instrumentation: the route template with router mounts,
// params, JSON and urlencoded bodies (app-level and route-level parsers) as inputs, and blocking
// that the route's own catch-and-500 (and Express's error handler) cannot override.
import t from 'tap'
import http = require('node:http')
import type { Server } from 'node:http'
import { Instrumentations } from '../../src/hook'
import { httpServerInstrumentations } from '../../src/instrumentations/http-server'
import { expressInstrumentationFor, isWrapped, joinRoute } from '../../src/frameworks/express'
import { blockCurrentRequest } from '../../src/block-response'
import { currentRequest } from '../../src/request-context'
import { close, inputsOf, listen, sleep, watchServer } from './serve'

const instrumentations = new Instrumentations([...httpServerInstrumentations, expressInstrumentationFor('express'), expressInstrumentationFor('express4')])
instrumentations.enable()
t.teardown(() => instrumentations.disable())

type Express = any
const VERSIONS: Array<[string, Express]> = [['Express 4', require('express4')], ['Express 5', require('express')]]

const snapshot = (): unknown => {
  const ctx = currentRequest()
  return { route: ctx?.route, inputs: ctx?.inputs.map((i) => `${i.source}:${i.name}=${i.value}`).sort() }
}

function buildApp (express: Express): Express {
  const app = express()
  app.use(express.urlencoded({ extended: true }))
  const users = express.Router()
  users.get('/:id', async (_req: unknown, res: Express) => { await sleep(3); res.json(snapshot()) })
  users.post('/:id/notes', express.json(), async (_req: unknown, res: Express) => { await sleep(1); setTimeout(() => res.json(snapshot()), 1) })
  const api = express.Router()
  api.use('/users', users)
  app.use('/api/v1', api)
  app.post('/form', (_req: unknown, res: Express) => { res.json(snapshot()) })
  app.get('/early', (_req: unknown, res: Express) => { res.json(snapshot()) })
  app.get('/block', (_req: unknown, res: Express) => {
    try {
      blockCurrentRequest()
      throw new Error('blocked')
    } catch {
      res.status(500).set('X-App', 'caught').send('internal error')
    }
  })
  app.get('/block-next', (_req: unknown, _res: unknown, next: (err: Error) => void) => {
    blockCurrentRequest()
    next(new Error('blocked'))
  })
  app.get('/block-async', async () => {
    blockCurrentRequest()
    await sleep(1)
    throw new Error('blocked')
  })
  app.get('/late', (_req: unknown, res: Express) => {
    res.write('partial ')
    const outcome = blockCurrentRequest()
    res.end(outcome)
  })
  return app
}

t.test('joinRoute', async (t) => {
  t.equal(joinRoute('', '/users/:id'), '/users/:id')
  t.equal(joinRoute('/api', '/users/:id'), '/api/users/:id')
  t.equal(joinRoute('/api', '/'), '/api')
  t.equal(joinRoute(undefined, '/'), '/')
  t.equal(joinRoute('/api/', '/x'), '/api/x')
})

for (const [label, express] of VERSIONS) {
  t.test(label, async (t) => {
    t.ok(isWrapped(express.Route.prototype.dispatch), 'Route.prototype.dispatch wrapped on require')
    const seen = watchServer()
    t.teardown(() => seen.off())
    const server: Server = buildApp(express).listen(0, '127.0.0.1')
    const base = await listen(server)
    t.teardown(() => close(server))

    t.test('route template through two router mounts, params, query', async (t) => {
      const body = await (await fetch(`${base}/api/v1/users/42?tab=notes`)).json()
      t.same(body, {
        route: '/api/v1/users/:id',
        inputs: ['params:params.id=42', 'path:path=/api/v1/users/42', 'query:query.tab=notes', 'headers:headers.user-agent=node'].sort(),
      })
      const finish = await seen.finished('/api/v1/users/42?tab=notes')
      t.equal(finish.request.route, '/api/v1/users/:id')
      t.equal(finish.status, 200)
    })

    t.test('JSON body parsed by a route-level express.json(), read after awaits and a timer', async (t) => {
      const res = await fetch(`${base}/api/v1/users/7/notes`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ note: { text: 'hi', tags: ['a', 'b'] }, password: 'p' }),
      })
      const body = await res.json() as { route: string, inputs: string[] }
      t.equal(body.route, '/api/v1/users/:id/notes')
      t.same(body.inputs.filter((i) => i.startsWith('body:') || i.startsWith('params:')),
        ['body:body.note.tags.0=a', 'body:body.note.tags.1=b', 'body:body.note.text=hi', 'body:body.password=p', 'params:params.id=7'])
    })

    t.test('urlencoded body from app-level middleware', async (t) => {
      const res = await fetch(`${base}/form`, { method: 'POST', body: new URLSearchParams({ name: 'x; rm -rf /', 'user[email]': 'a@b' }) })
      const body = await res.json() as { route: string, inputs: string[] }
      t.equal(body.route, '/form')
      t.same(body.inputs.filter((i) => i.startsWith('body:')), ['body:body.name=x; rm -rf /', 'body:body.user.email=a@b'])
    })

    t.test('blocked: the route catches the error and answers 500, the 403 stands', async (t) => {
      const res = await fetch(`${base}/block`, { headers: { accept: 'application/json' } })
      t.equal(res.status, 403)
      t.equal(res.headers.get('x-app'), null)
      const body = await res.json() as { error: string, request_id: string }
      const finish = await seen.finished('/block')
      t.same(body, { error: 'blocked by sidewatch', request_id: finish.request.id })
      t.equal(finish.status, 403)
      t.equal(finish.request.blocked, true)
    })

    t.test('blocked, then next(err) (and an async throw on 5): Express error handling cannot override it', async (t) => {
      for (const path of label === 'Express 5' ? ['/block-next', '/block-async'] : ['/block-next']) {
        const res = await fetch(`${base}${path}`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } })
        t.equal(res.status, 403, path)
        t.match(res.headers.get('content-type'), /^text\/html/)
        t.match(await res.text(), /blocked by sidewatch/)
        t.equal((await seen.finished(path)).status, 403)
      }
    })

    t.test('blocked then next(err): the keep-alive connection survives (finalhandler does not destroy it)', async (t) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      t.teardown(() => agent.destroy())
      const get = (): Promise<{ status?: number, reused: boolean }> => new Promise((resolve, reject) => {
        const req = http.get(`${base}/block-next`, { agent }, (res) => {
          res.resume()
          res.on('end', () => resolve({ status: res.statusCode, reused: req.reusedSocket }))
        })
        req.on('error', reject)
      })
      t.same(await get(), { status: 403, reused: false })
      await sleep(10)
      t.same(await get(), { status: 403, reused: true })
    })

    t.test('headers already sent: nothing written, marked blocked, no crash', async (t) => {
      const res = await fetch(`${base}/late`)
      t.equal(res.status, 200)
      t.equal(await res.text(), 'partial headers-sent')
      const finish = await seen.finished('/late')
      t.equal(finish.request.blocked, true)
      t.equal(finish.status, 200)
    })

    t.test('one start and one finish per request', async (t) => {
      await sleep(30)
      t.equal(seen.starts.length, seen.finishes.length)
      t.equal(new Set(seen.finishes).size, seen.finishes.length)
    })
  })
}
