// End to end: request input reaching a shell, a file path and an outbound URL in the example
// shop (plain node:http, SDK preloaded) is reported as `attack` events with the request and the
// app's own stack frame; benign requests are not; in block mode the calls never happen and the
// client gets 403.
import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { get, readJsonl, SHOP, startAgent, startApp, tempDir, waitFor } from './helpers/processes'

const q = encodeURIComponent
const TRAVERSAL = '../../../../../../../../etc/hostname'

t.test('monitor mode: attacks reported, requests served, benign requests quiet', async (t) => {
  const agent = await startAgent(t, tempDir(t))
  const app = await startApp(t, join(SHOP, 'server.js'), { SIDEWATCH_AGENT: `unix:${agent.unix}`, SIDEWATCH_TOKEN: 'e2e-token' })
  const self = `http://127.0.0.1:${app.port}/health`

  for (const path of ['/greet?name=alice', '/file?name=catalog.txt', '/files']) {
    t.equal((await get(app.port, path)).status, 200, `benign ${path}`)
  }
  t.equal((await get(app.port, `/greet?name=${q('bob; cat /etc/hostname')}`)).status, 200, 'monitor mode lets the injection run')
  await get(app.port, `/file?name=${q(TRAVERSAL)}`)
  await get(app.port, `/preview?url=${q(self)}`)

  const attacks = await waitFor('three attack events', () => {
    const got = readJsonl(agent.jsonl).filter((e) => e.kind === 'attack')
    return got.length >= 3 ? got : undefined
  })
  t.equal(attacks.length, 3, 'no attack from the benign requests')
  const byClass = Object.fromEntries(attacks.map((a) => [a.attack.class, a]))
  t.match(byClass.shell_injection?.attack, { sink: 'child_process.exec', input: { name: 'query.name', value: 'bob; cat /etc/hostname', source: 'query' }, blocked: false, request: { method: 'GET' } })
  t.match(byClass.path_traversal?.attack, { sink: 'fs.readFileSync', input: { name: 'query.name', value: TRAVERSAL } })
  t.match(byClass.ssrf?.attack, { sink: 'http.request', input: { name: 'query.url', value: self } })
  for (const a of attacks) t.match(a.attack.frame, /examples\/shop\/server\.js:\d+:\d+$/, `${a.attack.class}: the app's own frame`)

  // The same request id ties the attack, the call it made and the request itself together.
  const related = (what: string, match: (e: Record<string, any>) => boolean) =>
    waitFor(what, () => readJsonl(agent.jsonl).find(match))
  const shell = byClass.shell_injection
  t.ok(await related('process.exec with the request id', (e) => e.kind === 'process.exec' && e.request_id === shell.request_id && e.exec.command_line.includes('cat /etc/hostname')))
  t.ok(await related('the http.request of the attack', (e) => e.kind === 'http.request' && e.request_id === shell.request_id && e.http.status === 200))
  t.ok(await related('the traversing read as fs.op', (e) => e.kind === 'fs.op' && e.request_id === byClass.path_traversal.request_id))
  t.ok(await related('the forged request as http.client', (e) => e.kind === 'http.client' && e.request_id === byClass.ssrf.request_id && e.http.status === 200))
})

t.test('block mode: the calls never happen, the client gets 403', async (t) => {
  const dir = tempDir(t)
  const agent = await startAgent(t, dir)
  const app = await startApp(t, join(SHOP, 'server.js'), { SIDEWATCH_AGENT: `unix:${agent.unix}`, SIDEWATCH_TOKEN: 'e2e-token', SIDEWATCH_MODE: 'block' })
  const marker = join(dir, 'pwned')

  const shell = await get(app.port, `/greet?name=${q(`x; touch ${marker}`)}`)
  t.equal(shell.status, 403, 'shell injection answered 403')
  t.match(shell.body, { error: 'blocked by sidewatch' })
  t.notOk(existsSync(marker), 'the injected command never ran')

  const file = await get(app.port, `/file?name=${q(TRAVERSAL)}`)
  t.equal(file.status, 403, 'traversal answered 403')
  const ssrf = await get(app.port, `/preview?url=${q(`http://127.0.0.1:${app.port}/health`)}`)
  t.equal(ssrf.status, 403, 'ssrf answered 403')

  t.equal((await get(app.port, '/greet?name=alice')).status, 200, 'benign requests still served')
  t.equal((await get(app.port, '/file?name=catalog.txt')).status, 200)

  const attacks = await waitFor('three blocked attacks', () => {
    const got = readJsonl(agent.jsonl).filter((e) => e.kind === 'attack')
    return got.length >= 3 ? got : undefined
  })
  t.ok(attacks.every((a) => a.attack.blocked === true), 'each attack says it was blocked')
  const requests = await waitFor('the blocked requests', () => {
    const got = readJsonl(agent.jsonl).filter((e) => e.kind === 'http.request' && e.http.blocked === true)
    return got.length >= 3 ? got : undefined
  })
  t.ok(requests.every((r) => r.http.status === 403), 'http.request events say 403 and blocked')
})
