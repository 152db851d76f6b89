// blockRequest on a plain http server: JSON or HTML by Accept, sealed afterwards, harmless when
// headers are already sent or there is no request; prefersHtml table.
import t from 'tap'
import http = require('node:http')
import { Instrumentations } from '../../src/hook'
import { httpServerInstrumentations } from '../../src/instrumentations/http-server'
import { blockCurrentRequest, blockRequest, isBlockedResponse, prefersHtml } from '../../src/block-response'
import { close, listen, watchServer } from './serve'

t.test('prefersHtml', async (t) => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false], ['*/*', false], ['application/json', false], ['text/html', true],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', true],
    ['application/json, text/html', false], ['TEXT/HTML; q=0.9, application/json', true], ['application/problem+json', false],
  ]
  for (const [accept, html] of cases) t.equal(prefersHtml(accept), html, String(accept))
})

t.test('outside a request: no-response, no throw', async (t) => {
  t.equal(blockCurrentRequest(), 'no-response')
  t.equal(blockRequest({}, null), 'no-response')
})

t.test('on a plain http server', async (t) => {
  const instrumentations = new Instrumentations(httpServerInstrumentations)
  instrumentations.enable()
  t.teardown(() => instrumentations.disable())
  const seen = watchServer()
  t.teardown(() => seen.off())
  const outcomes: string[] = []
  const server = http.createServer((req, res) => {
    if (req.url === '/late') {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('started ')
      outcomes.push(blockCurrentRequest())
      res.end('finished')
      return
    }
    outcomes.push(blockCurrentRequest())
    outcomes.push(blockCurrentRequest())
    t.equal(isBlockedResponse(res), true)
    t.equal(res.headersSent, false, 'reads not sent: error handlers answer into the sealed methods instead of destroying the socket')
    t.equal(res.writableEnded, true)
    // The app's own error path, after the block: none of it may change the answer or throw.
    res.statusCode = 500
    res.setHeader('x-app', 'late')
    res.writeHead(500, { 'content-type': 'text/plain' })
    t.equal(res.write('oops'), true)
    res.end('internal error', () => { outcomes.push('end callback') })
  })
  const base = await listen(server)
  t.teardown(() => close(server))

  const json = await fetch(`${base}/json`, { headers: { accept: 'application/json' } })
  t.equal(json.status, 403)
  t.equal(json.headers.get('x-app'), null)
  t.match(json.headers.get('content-type'), /^application\/json/)
  const finish = await seen.finished('/json')
  t.same(await json.json(), { error: 'blocked by sidewatch', request_id: finish.request.id })
  t.equal(finish.status, 403)
  t.equal(finish.request.blocked, true)
  t.same(outcomes.splice(0), ['answered', 'already-blocked', 'end callback'])

  const html = await fetch(`${base}/html`, { headers: { accept: 'text/html' } })
  t.equal(html.status, 403)
  t.match(html.headers.get('content-type'), /^text\/html/)
  const page = await html.text()
  t.match(page, /403 Forbidden/)
  t.match(page, (await seen.finished('/html')).request.id)

  const late = await fetch(`${base}/late`)
  t.equal(late.status, 200)
  t.equal(await late.text(), 'started finished', 'the response the app started is left alone')
  const lateFinish = await seen.finished('/late')
  t.equal(lateFinish.request.blocked, true)
  t.same(outcomes.filter((o) => o !== 'end callback'), ['answered', 'already-blocked', 'headers-sent'])
})
