// End to end: request input reaching a shell, a file path and an outbound URL in the example
// shop (plain node:http, SDK preloaded) is reported as `attack` events with the request and the
// app's own stack frame; benign requests are not; in block mode the calls never happen and the
// client gets 403. The app runs on each Node of the compatibility matrix
// (test/helpers/node-matrix.ts: 20, 22, 24); the agent on the tests' Node.
import t, { type Test } from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { get, readJsonl, SHOP, startAgent, startApp, tempDir, waitFor } from './helpers/processes'
import { forEachNode, type MatrixNode } from './helpers/node-matrix'

const q = encodeURIComponent
const TRAVERSAL = '../../../../../../../../etc/hostname'

// Both flavours of the shop: server.js (CommonJS, `-r` preload) and server.mjs (ESM named
// imports of the builtins, `--import` preload).
async function attacks (t: Test, node: MatrixNode): Promise<void> {
  for (const variant of ['server.js', 'server.mjs']) await attacksOn(t, node, variant)
}

async function attacksOn (t: Test, node: MatrixNode, variant: string): Promise<void> {
  const frame = new RegExp(`examples/shop/${variant.replace('.', '\\.')}:\\d+:\\d+$`)
  await t.test(`${variant}: monitor mode: attacks reported, requests served, benign requests quiet`, async (t) => {
    const agent = await startAgent(t, tempDir(t))
    const app = await startApp(t, join(SHOP, variant), { SIDEWATCH_AGENT: `unix:${agent.unix}`, SIDEWATCH_TOKEN: 'e2e-token' }, { node: node.bin })
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
    for (const a of attacks) t.match(a.attack.frame, frame, `${a.attack.class}: the app's own frame`)

    // The same request id ties the attack, the call it made and the request itself together.
    const related = (what: string, match: (e: Record<string, any>) => boolean) =>
      waitFor(what, () => readJsonl(agent.jsonl).find(match))
    const shell = byClass.shell_injection
    t.ok(await related('process.exec with the request id', (e) => e.kind === 'process.exec' && e.request_id === shell.request_id && e.exec.command_line.includes('cat /etc/hostname')))
    t.ok(await related('the http.request of the attack', (e) => e.kind === 'http.request' && e.request_id === shell.request_id && e.http.status === 200))
    t.ok(await related('the traversing read as fs.op', (e) => e.kind === 'fs.op' && e.request_id === byClass.path_traversal.request_id))
    t.ok(await related('the forged request as http.client', (e) => e.kind === 'http.client' && e.request_id === byClass.ssrf.request_id && e.http.status === 200))
    // Each call once on every Node (Node 22+ publishes more http client channels than 20).
    const ofRequest = (kind: string, id: string) => readJsonl(agent.jsonl).filter((e) => e.kind === kind && e.request_id === id)
    t.equal(ofRequest('http.client', byClass.ssrf.request_id).length, 1, 'the forged request reported once')
    t.equal(ofRequest('fs.op', byClass.path_traversal.request_id).length, 1, 'the traversing read reported once')
    t.equal(ofRequest('process.exec', shell.request_id).length, 1, 'the injected command reported once')
  })

  await t.test(`${variant}: block mode: the calls never happen, the client gets 403`, async (t) => {
    const dir = tempDir(t)
    const agent = await startAgent(t, dir)
    const app = await startApp(t, join(SHOP, variant), { SIDEWATCH_AGENT: `unix:${agent.unix}`, SIDEWATCH_TOKEN: 'e2e-token', SIDEWATCH_MODE: 'block' }, { node: node.bin })
    const marker = join(dir, 'pwned')

    const shell = await get(app.port, `/greet?name=${q(`x; touch ${marker}`)}`)
    t.equal(shell.status, 403, 'shell injection answered 403')
    t.match(shell.body, { error: 'blocked by sidewatch' })
    // The 403 can leave before a command that does run has finished: look for its trace until
    // 1 s after the answer, not just at the moment the answer arrives.
    const ran = await waitFor('the injected command to leave its marker (up to 1 s)',
      () => existsSync(marker) ? true : undefined, 1000).catch(() => false)
    t.notOk(ran, 'the injected command never ran')
    const blockedExec = await waitFor('the blocked process.exec event', () => readJsonl(agent.jsonl).find((e) => e.kind === 'process.exec' && e.exec.command_line.includes(marker)))
    t.match(blockedExec.exec, { blocked: true }, 'the process.exec event says blocked')
    t.notOk('pid' in blockedExec.exec, 'and no process was made')

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
}

forEachNode(t, attacks)
