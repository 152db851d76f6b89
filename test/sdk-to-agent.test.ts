// End to end: the example shop with the SDK preloaded (CommonJS and ESM) reports every child
// process and every incoming request to a real agent, and the events land in the jsonl and sqlite
// sinks and are found by the `events` and `search` commands. The app runs on each Node of the
// compatibility matrix (test/helpers/node-matrix.ts: 20, 22, 24); the agent on the tests' Node.
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { agentCli, get, readJsonl, runScript, SHOP, startAgent, startApp, tempDir, waitFor } from './helpers/processes'
import { forEachNode, type MatrixNode } from './helpers/node-matrix'

// Each route of the shop and the child process it must produce, as the SDK reports it.
// `fork` runs the app's own Node (its process.execPath), hence a function of the node.
function expectationsFor (node: MatrixNode) {
  return [
    { route: '/files', method: 'execFile', file: 'ls', shell: false, argsInclude: '-1' },
    { route: '/date', method: 'execFileSync', file: 'date', shell: false, argsInclude: '-u' },
    { route: '/count', method: 'spawnSync', file: 'wc', shell: false, argsInclude: '-l' },
    { route: '/greet?name=bob', method: 'exec', file: '/bin/sh', shell: true, commandLine: 'echo Hello bob' },
    { route: '/whoami', method: 'spawn', file: 'id', shell: false, argsInclude: '-un' },
    { route: '/hostname', method: 'execSync', file: '/bin/sh', shell: true, commandLine: 'hostname' },
    { route: '/sum?n=4,5', method: 'fork', file: node.bin, shell: false },
  ] as Array<{ route: string, method: string, file: string, shell: boolean, argsInclude?: string, commandLine?: string }>
}

/**
 * Whether the SDK must know the child's pid for `method` on this Node. execSync and
 * execFileSync return only stdout; the SDK learns their pid by re-running Node 20's own source on
 * spawnSync, and only when the running Node's functions are that exact source (otherwise it
 * calls the original and the pid stays unknown). So the pid is asserted for those two only where
 * this Node's source is Node 20's (checked by node-matrix.ts), for every other method everywhere.
 */
function pidExpected (node: MatrixNode, method: string): boolean {
  return (method !== 'execSync' && method !== 'execFileSync') || node.syncSourceAsNode20
}

async function sdkToAgent (t: Test, node: MatrixNode): Promise<void> {
  const expectations = expectationsFor(node)
  t.comment(node.syncSourceAsNode20
    ? `Node ${node.version}: execSync/execFileSync source is Node 20's, so their pid is asserted`
    : `Node ${node.version}: execSync/execFileSync source differs from Node 20's, so their pid is not asserted`)
  for (const variant of ['server.js', 'server.mjs']) {
    await t.test(`${variant}: child processes and requests reach both sinks and the CLI`, async (t) => {
      const dir = tempDir(t)
      const agent = await startAgent(t, dir)
      const app = await startApp(t, join(SHOP, variant), { SIDEWATCH_AGENT: `unix:${agent.unix}`, SIDEWATCH_TOKEN: 'e2e-token' }, { node: node.bin })

      for (const e of expectations) {
        const res = await get(app.port, e.route)
        t.equal(res.status, 200, `${e.route} still works with the SDK`)
      }

      const execs = await waitFor('one process.exec per route in the jsonl sink', () => {
        const got = readJsonl(agent.jsonl).filter((ev) => ev.kind === 'process.exec' && ev.pid === app.proc.child.pid)
        return got.length >= expectations.length ? got : undefined
      })
      t.equal(execs.length, expectations.length, 'each call reported once, nested calls not repeated')
      const requests = await waitFor('one http.request per route in the jsonl sink', () => {
        const got = readJsonl(agent.jsonl).filter((ev) => ev.kind === 'http.request' && ev.pid === app.proc.child.pid)
        return got.length >= expectations.length ? got : undefined
      })
      t.equal(requests.length, expectations.length, 'each request reported once')
      for (const e of expectations) {
        const ev = execs.find((x) => x.exec.method === e.method)
        if (ev === undefined) { t.fail(`no event for ${e.method}`); continue }
        t.equal(ev.source, 'node-asm')
        t.equal(ev.service, 'shop')
        t.equal(ev.runtime?.name, 'node')
        t.equal(ev.runtime?.version, node.version.slice(1), 'runtime version is the app\'s Node')
        t.match(ev.id, /^[0-9a-f-]{36}$/)
        t.ok(!Number.isNaN(Date.parse(ev.ts)), 'ts is a date')
        t.equal(ev.exec.shell, e.shell, `${e.method} shell flag`)
        t.ok(ev.exec.file === e.file || ev.exec.file.endsWith('/' + e.file), `${e.method} file ${ev.exec.file}`)
        if (e.argsInclude !== undefined) t.ok(ev.exec.args.includes(e.argsInclude), `${e.method} args ${JSON.stringify(ev.exec.args)}`)
        if (e.commandLine !== undefined) t.match(ev.exec.command_line, e.commandLine, `${e.method} command line`)
        if (pidExpected(node, e.method)) {
          t.type(ev.exec.pid, 'number', `${e.method} pid known`)
        } else {
          t.comment(`${e.method}: pid not asserted on Node ${node.version} (its source differs from Node 20's; reported pid: ${String(ev.exec.pid)})`)
        }
        // The incoming request that made the call, tied to it by the request id.
        const path = e.route.split('?')[0]
        const req = requests.find((r) => new URL(r.http.url, 'http://x').pathname === path)
        if (req === undefined) { t.fail(`no http.request for ${e.route}`); continue }
        t.match(req.http, { method: 'GET', status: 200 }, `${e.route}: http.request method and status`)
        t.equal(ev.request_id, req.request_id, `${e.method}: same request id as the http.request of ${path}`)
      }

      // The sqlite sink has the same events, and the CLI reads them back.
      const listed = await waitFor('events in sqlite', async () => {
        const res = await agentCli(['events', '--db', agent.db, '--kind', 'process.exec', '--json'])
        const rows = res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
        return rows.length >= expectations.length ? rows : undefined
      })
      t.same(new Set(listed.map((r: { id: string }) => r.id)), new Set(execs.map((e) => e.id)), 'sqlite holds the same events')

      const human = await agentCli(['events', '--db', agent.db, '--since', '10m'])
      t.equal(human.code, 0)
      t.match(human.stdout, /process\.exec/, 'human listing names the kind')
      t.match(human.stdout, /echo Hello bob/, 'human listing shows the command line')

      const found = await agentCli(['search', 'hostname', '--db', agent.db, '--json'])
      t.equal(found.code, 0, found.stderr)
      const hits = found.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
      t.ok(hits.some((h: { exec?: { method: string } }) => h.exec?.method === 'execSync'), 'search finds the execSync event by its command')
    })
  }

  await t.test('a script that ends right away still delivers its events (flush on exit)', async (t) => {
    const agent = await startAgent(t, tempDir(t))
    const proc = runScript(join(__dirname, 'fixtures', 'short-script.js'),
      { SIDEWATCH_AGENT: agent.tcp, SIDEWATCH_TOKEN: 'e2e-token', SIDEWATCH_SERVICE: 'batch-job' }, { node: node.bin })
    t.equal((await proc.exited).code, 0)
    const execs = await waitFor('both events of the finished script', () => {
      const got = readJsonl(agent.jsonl).filter((e) => e.kind === 'process.exec' && e.pid === proc.child.pid)
      return got.length === 2 ? got : undefined
    })
    t.same(execs.map((e) => e.exec.method).sort(), ['execFileSync', 'spawnSync'])
    t.ok(execs.every((e) => e.service === 'batch-job'), 'service name from SIDEWATCH_SERVICE')
  })
}

forEachNode(t, sdkToAgent)
