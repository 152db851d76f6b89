#!/usr/bin/env node
// The demo: a real agent with the embedded sqlite store, the example shop with the SDK preloaded,
// scripted traffic, then what sidewatch saw. Everything runs on loopback and a unix socket in
// ./.sidewatch-demo, which is kept afterwards so the stored events can be searched.
import { spawn, execFileSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

const root = fileURLToPath(new URL('..', import.meta.url))
const dir = join(root, '.sidewatch-demo')
const agentBin = join(root, 'packages', 'agent', 'bin', 'sidewatch-agent.js')
const db = join(dir, 'sidewatch.db')
const sock = join(dir, 'agent.sock')
const token = 'demo-' + Math.random().toString(36).slice(2)

const step = (text) => console.log(`\x1b[1m▸ ${text}\x1b[0m`)
const fail = (text) => { console.error(`demo: ${text}`); process.exit(1) }

/** Starts a process and resolves with it once a JSON line on `stream` satisfies `ready`. */
function startUntil (args, env, stream, ready, what) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    const lines = []
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${lines.slice(-5).join(' | ')}`)), 15000)
    createInterface({ input: child[stream] }).on('line', (line) => {
      lines.push(line)
      let parsed
      try { parsed = JSON.parse(line) } catch { return }
      if (ready(parsed)) { clearTimeout(timer); resolve({ child, line: parsed }) }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited with ${code}: ${lines.slice(-5).join(' | ')}`)) })
  })
}

rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })

step('starting sidewatch-agent (embedded store: .sidewatch-demo/sidewatch.db)')
const agent = await startUntil([agentBin, 'run', '--listen', `unix:${sock}`, '--token', token, '--sink', `sqlite:${db}`],
  { SIDEWATCH_LOG_LEVEL: 'info' }, 'stderr', (l) => l.msg === 'listening' && String(l.address).startsWith('unix:'), 'the agent')
  .catch((err) => fail(err.message))

step('starting the example shop with the SDK: node -r @sidewatch/node-asm/register examples/shop/server.js')
const shop = await startUntil(['-r', '@sidewatch/node-asm/register', join(root, 'examples', 'shop', 'server.js')],
  { PORT: '0', SIDEWATCH_AGENT: `unix:${sock}`, SIDEWATCH_TOKEN: token, SIDEWATCH_SERVICE: 'shop' },
  'stdout', (l) => l.msg === 'shop listening', 'the shop')
  .catch((err) => fail(err.message))
const base = `http://127.0.0.1:${shop.line.port}`

const traffic = [
  '/health', '/files', '/date', '/count', '/whoami', '/hostname', '/sum?n=1,2,3', '/greet?name=alice',
  '/file?name=catalog.txt',
  // Attacks: request input that changes a shell command, climbs out of the public folder, and
  // points the server's own outbound request at loopback. Monitor mode reports, and lets them run.
  '/greet?name=' + encodeURIComponent('bob; cat /etc/passwd'),
  '/file?name=' + encodeURIComponent('../../../../../../../../etc/hostname'),
  '/preview?url=' + encodeURIComponent(`http://127.0.0.1:${shop.line.port}/health`),
]
step(`playing ${traffic.length} requests`)
for (const path of traffic) {
  const res = await fetch(base + path)
  const body = await res.text()
  console.log(`  ${res.status} GET ${path.padEnd(36)} ${body.length > 60 ? body.slice(0, 57) + '...' : body}`)
}

step('stopping the shop and the agent (the SDK flushes on exit, the agent on SIGTERM)')
const exited = (child) => new Promise((resolve) => child.once('exit', (code) => resolve(code)))
shop.child.kill('SIGTERM')
await exited(shop.child)
agent.child.kill('SIGTERM')
const agentCode = await exited(agent.child)
if (agentCode !== 0) fail(`the agent exited with ${agentCode}`)

step('what sidewatch alerted on (the shipped rules)')
const cli = (...args) => execFileSync(process.execPath, [agentBin, ...args], { encoding: 'utf8' })
process.stdout.write(cli('events', '--db', db, '--kind', 'alert'))
console.log('')
step('what sidewatch saw')
process.stdout.write(cli('events', '--db', db, '--kind', 'attack'))
console.log('')
process.stdout.write(cli('events', '--db', db, '--kind', 'process.exec'))
const all = cli('events', '--db', db, '--json', '--limit', '100000').split('\n').filter(Boolean).map((l) => JSON.parse(l))
const byKind = {}
for (const ev of all) byKind[ev.kind] = (byKind[ev.kind] ?? 0) + 1
console.log('')
console.log(`  ${all.length} events stored: ${Object.entries(byKind).map(([k, n]) => `${n} ${k}`).join(', ')}`)
console.log('')
console.log('  Search the stored events, for example:')
console.log(`    node packages/agent/bin/sidewatch-agent.js search passwd --db .sidewatch-demo/sidewatch.db`)
if (all.filter((e) => e.kind === 'process.exec').length < 8) fail('fewer process.exec events than expected')
if (all.filter((e) => e.kind === 'attack').length < 3) fail('the three attacks were not all reported')
if (!['Shell injection', 'Path traversal', 'Server-side request forgery'].every((rule) => all.some((e) => e.kind === 'alert' && e.alert.rule === rule))) fail('the attacks did not all raise their alerts')
