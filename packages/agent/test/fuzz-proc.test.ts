// Fuzzing the /proc parsers (issue 12): stat, status, cgroup, net/tcp and tcp6, cmdline, passwd and
// the exe link, on crafted texts (real layouts written out here, so the seeds do not depend on the
// machine) mutated, plus round trips from fields to text and back; and readProcess over a crafted
// /proc/PID directory made of those files. A parser returns its fields or undefined (or skips the
// line), never throws, and its numbers are safe integers; readProcess returns a result whatever
// the files hold. Budget and reproduction: test/helpers/fuzz.ts.
import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as fc from 'fast-check'
import { containerIdFromCgroup } from '../src/proc/cgroup'
import { parseCmdline } from '../src/proc/cmdline'
import { parseExeLink } from '../src/proc/exe-link'
import { hexAddress, parseNetTcp } from '../src/proc/net-tcp'
import { parsePasswd } from '../src/proc/passwd'
import { readProcess } from '../src/proc/process-record'
import { parseStat } from '../src/proc/stat'
import { parseStatusIds } from '../src/proc/status'
import { ttyName } from '../src/proc/tty'
import { fuzzTargets, holds, returnsOrThrows, textCodec, jsonCodec } from '../../../test/helpers/fuzz'
import { mutatedText } from '../../../test/helpers/mutator'

const REGRESSIONS = join(__dirname, 'fixtures', 'fuzz-regressions')
const never = (): boolean => false
const safe = (n: unknown): boolean => Number.isSafeInteger(n)

const STAT = [
  '14063 (cat) R 14061 14061 22276 0 -1 4194304 103 0 0 0 0 0 0 0 20 0 1 0 5630173 3133440 379 18446744073709551615 94804763639808 94804763659689 140731221953776 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94804763675696 94804763677312 94805101420544 140731221957346 140731221957366 140731221957366 140731221958635 0\n',
  '2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 2 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n',
  '7 (a) b (c)) Z 1 7 7 34817 7 4194560 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n',
]
const STATUS = [
  'Name:\thead\nUmask:\t0022\nState:\tR (running)\nTgid:\t14064\nNgid:\t0\nPid:\t14064\nPPid:\t14061\nTracerPid:\t0\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\nFDSize:\t256\nGroups:\t \n',
  'Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0',
]
const ID = 'a'.repeat(16) + '0123456789abcdef'.repeat(3)
const CGROUP = [
  '9:name=systemd:/\n8:pids:/\n4:memory:/process_api/4ee63027a91541a541765ac38d10647e\n0::/\n',
  '0::/ecs/0123456789abcdef0123456789abcdef/0123456789abcdef0123456789abcdef-1234567890\n',
  `11:devices:/docker/${ID}\n0::/system.slice/docker-${ID}.scope\n`,
  `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0123.slice/cri-containerd-${ID}.scope\n`,
  `12:cpu:/kubepods/besteffort/pod01234567-89ab-cdef-0123-456789abcdef/${ID}\n`,
]
const NET_TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
  '   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1232 1 0000000059b3f39e 100 0 0 10 0\n' +
  '   1: 0100007F:8E89 0100007F:8C20 01 00000000:00000000 03:00001632 00000000  1000        0 4567 3 000000005bc4fe15\n',
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
  '   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2211 1 0000000000000000 100 0 0 10 0\n' +
  '   1: 0000000000000000FFFF00000100007F:0016 0000000000000000FFFF00000200A8C0:D431 01 00000000:00000000 02:0000A2B1 00000000     0        0 9911 2 0000000000000000 20 4 29 10 -1\n' +
  '   2: B80D0120000000000000000001000000:01BB 00000000000000000000000001000000:C350 01 00000000:00000000 00:00000000 00000000   100        0 77 1 0\n',
]
const PASSWD = ['root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n# comment\nnode:x:1000:1000::/home/node:/bin/sh\nnode2:x:1000:1000::/:/bin/sh\n', '+::::::\n:x:5:5::/:\nx::9007199254740993:\n']
const CMDLINE = ['node\0/app/server.js\0--port\x003000\0', 'sshd: alice [priv]\0\0\0\0\0\0', '\0\0', '']
const EXE = ['/usr/bin/node', '/tmp/x (deleted)', ' (deleted)', '/a (deleted) (deleted)']
const TOKENS = [' ', '  ', '\t', '\n', '(', ')', ') ', ' (', ':', '::', '/', '-1', '0', '18446744073709551615', '9007199254740993', '1e21', 'NaN', 'Infinity', '0x10', 'Uid:', 'Gid:', '/ecs/', '/docker/', '/kubepods', '/pod', '.scope', 'docker-', ID, 'FFFF0000', '0A', '\0', ' (deleted)']

/** stat fields as the kernel prints them, back from parseStat. */
const statArb = fc.record({
  pid: fc.integer({ min: 1, max: 4194304 }),
  comm: fc.string({ maxLength: 16, unit: fc.constantFrom('a', ' ', '(', ')', ') ', 'Z', '\n', 'é', '1') }),
  state: fc.constantFrom('R', 'S', 'D', 'Z', 'T', 't', 'X', 'I'),
  ppid: fc.nat({ max: 4194304 }),
  pgrp: fc.nat({ max: 4194304 }),
  session: fc.nat({ max: 4194304 }),
  ttyNr: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  flags: fc.nat({ max: 2 ** 32 - 1 }),
  startTicks: fc.oneof(fc.nat({ max: 2 ** 40 }), fc.constant(Number.MAX_SAFE_INTEGER)),
})
type StatFields = typeof statArb extends fc.Arbitrary<infer T> ? T : never
const statLine = (s: StatFields): string =>
  `${s.pid} (${s.comm}) ${s.state} ${s.ppid} ${s.pgrp} ${s.session} ${s.ttyNr} -1 ${s.flags} 0 0 0 0 0 0 0 0 20 0 1 0 ${s.startTicks} 3133440 379 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n`

const text = (name: string, seeds: string[], cases: number, check: (s: string) => void, maxMs?: number): Parameters<typeof fuzzTargets>[1][number] => ({
  name,
  arbitrary: mutatedText(seeds, { dictionary: TOKENS, maxMutations: 8 }),
  cases,
  ...(maxMs === undefined ? {} : { maxMs }),
  corpus: join(REGRESSIONS, name.replace('agent.', '')),
  ...textCodec,
  check,
})

const statTarget = {
  name: 'agent.proc-stat',
  arbitrary: fc.oneof(mutatedText(STAT, { dictionary: TOKENS, maxMutations: 8 }), statArb.map(statLine)),
  cases: 1500,
  corpus: join(REGRESSIONS, 'proc-stat'),
  ...textCodec,
  check (line: string) {
    const r = returnsOrThrows(() => parseStat(line), never)
    if (!('value' in r) || r.value === undefined) return
    const s = r.value
    holds([s.pid, s.ppid, s.pgrp, s.session, s.ttyNr, s.flags, s.startTicks].every(safe), `not every number is a safe integer: ${JSON.stringify(s)}`)
    returnsOrThrows(() => ttyName(s.ttyNr), never)
  },
}

const statRoundTrip = {
  name: 'agent.proc-stat-fields',
  arbitrary: statArb,
  cases: 1000,
  ...jsonCodec<StatFields>(),
  check (s: StatFields) {
    const got = parseStat(statLine(s))
    holds(got !== undefined && got.pid === s.pid && got.comm === s.comm && got.state === s.state && got.ppid === s.ppid && got.session === s.session &&
      got.ttyNr === s.ttyNr && got.flags === s.flags && got.startTicks === s.startTicks, () => `${JSON.stringify(s)} read back as ${JSON.stringify(got)}`)
  },
}

/** A socket as the kernel writes it in tcp or tcp6, back from parseNetTcp. */
const socketArb = fc.record({
  v6: fc.boolean(),
  local: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  remote: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  lport: fc.nat({ max: 65535 }),
  rport: fc.nat({ max: 65535 }),
  state: fc.integer({ min: 1, max: 12 }),
  uid: fc.nat({ max: 2 ** 32 - 1 }),
  inode: fc.nat({ max: 2 ** 40 }),
})
type SocketFields = typeof socketArb extends fc.Arbitrary<infer T> ? T : never
/** The kernel's hex: each 32-bit word in host (little-endian) order. */
const kernelHex = (bytes: Uint8Array, v6: boolean): string => {
  let out = ''
  for (let w = 0; w < (v6 ? 4 : 1); w++) for (let i = 3; i >= 0; i--) out += (bytes[4 * w + i] as number).toString(16).padStart(2, '0').toUpperCase()
  return out
}
const hex4 = (n: number): string => n.toString(16).padStart(4, '0').toUpperCase()

const netTcpTarget = text('agent.proc-net-tcp', NET_TCP, 1500, (table) => {
  const r = returnsOrThrows(() => parseNetTcp(table), never)
  if (!('value' in r)) return
  for (const s of r.value) {
    holds(s.local.port >= 0 && s.local.port <= 65535 && s.remote.port >= 0 && s.remote.port <= 65535, 'a port out of range')
    holds(safe(s.inode) && Number.isInteger(s.state), `inode ${s.inode}, state ${s.state}`)
    holds(/^[0-9a-f.:]+$/.test(s.local.address) && /^[0-9a-f.:]+$/.test(s.remote.address), `addresses ${s.local.address} ${s.remote.address}`)
  }
})

const netTcpRoundTrip = {
  name: 'agent.proc-net-tcp-fields',
  arbitrary: socketArb,
  cases: 1000,
  toBytes: (s: SocketFields) => Buffer.from(JSON.stringify({ ...s, local: [...s.local], remote: [...s.remote] })),
  fromBytes: (b: Buffer): SocketFields => { const o = JSON.parse(b.toString('utf8')); return { ...o, local: Uint8Array.from(o.local), remote: Uint8Array.from(o.remote) } },
  check (s: SocketFields) {
    const line = `   0: ${kernelHex(s.local, s.v6)}:${hex4(s.lport)} ${kernelHex(s.remote, s.v6)}:${hex4(s.rport)} ${s.state.toString(16).padStart(2, '0').toUpperCase()} 00000000:00000000 00:00000000 00000000 ${s.uid} 0 ${s.inode} 1 0000000000000000 20 4 29 10 -1`
    const got = parseNetTcp(`header\n${line}\n`)
    holds(got.length === 1, `${line} gives ${got.length} sockets`)
    const g = got[0]
    const v4mapped = s.v6 && s.local.slice(0, 10).every((b) => b === 0) && s.local[10] === 0xff && s.local[11] === 0xff
    const expect = s.v6 ? (v4mapped ? [...s.local.slice(12)].join('.') : undefined) : [...s.local.slice(0, 4)].join('.')
    holds(g !== undefined && g.local.port === s.lport && g.remote.port === s.rport && g.state === s.state && g.uid === s.uid && g.inode === s.inode &&
      (expect === undefined || g.local.address === expect), () => `${line} read back as ${JSON.stringify(g)}`)
    if (s.v6 && !v4mapped) {
      // The same address as node's formatter writes it (RFC 5952).
      const groups = Array.from({ length: 8 }, (_, i) => ((s.local[2 * i] as number) << 8 | (s.local[2 * i + 1] as number)).toString(16))
      const url = new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1)
      holds(g?.local.address === url, () => `${groups.join(':')} read as ${g?.local.address ?? ''}, not ${url}`)
    }
    returnsOrThrows(() => hexAddress(kernelHex(s.remote, s.v6)), never)
  },
}

const statusTarget = text('agent.proc-status', STATUS, 1500, (status) => {
  const r = returnsOrThrows(() => parseStatusIds(status), never)
  if ('value' in r && r.value !== undefined) holds([r.value.uid, r.value.euid, r.value.gid, r.value.egid].every(safe), `ids ${JSON.stringify(r.value)}`)
})

const cgroupTarget = text('agent.proc-cgroup', CGROUP, 2000, (cgroup) => {
  const r = returnsOrThrows(() => containerIdFromCgroup(cgroup), never)
  if ('value' in r && r.value !== undefined) holds(r.value !== '' && cgroup.includes(r.value) && !r.value.includes('\n') && !r.value.includes('/'), `container id ${JSON.stringify(r.value)}`)
})

const passwdTarget = text('agent.proc-passwd', PASSWD, 1500, (passwd) => {
  const r = returnsOrThrows(() => parsePasswd(passwd), never)
  if ('value' in r) for (const [uid, name] of r.value) holds(safe(uid) && name !== '' && !name.includes(':') && !name.includes('\n'), `uid ${uid} name ${JSON.stringify(name)}`)
})

const smallTarget = text('agent.proc-cmdline-exe', [...CMDLINE, ...EXE], 1500, (s) => {
  const bytes = Buffer.from(s, 'utf8')
  for (const limit of [0, 1, 8, 4096]) {
    const r = returnsOrThrows(() => parseCmdline(bytes, Math.min(bytes.length, limit + 1), limit), never)
    if ('value' in r) holds(r.value.args.length <= 1024 && (bytes.length > limit ? r.value.truncated : true), `cmdline ${JSON.stringify(r.value)} at limit ${limit}`)
  }
  const link = returnsOrThrows(() => parseExeLink(s), never)
  if ('value' in link) holds(link.value.deleted ? s === `${link.value.path} (deleted)` : s === link.value.path, 'exe link path and deleted disagree')
})

// readProcess over a crafted /proc/PID: the files mutated together.
const procRoot = mkdtempSync(join(tmpdir(), 'sidewatch-fuzz-proc-'))
t.teardown(() => rmSync(procRoot, { recursive: true, force: true }))
const PID = 4242
mkdirSync(join(procRoot, String(PID)))
const processArb = fc.record({
  stat: fc.oneof(mutatedText(STAT, { dictionary: TOKENS }), statArb.map(statLine)),
  status: mutatedText(STATUS, { dictionary: TOKENS }),
  cgroup: mutatedText(CGROUP, { dictionary: TOKENS }),
  cmdline: mutatedText(CMDLINE, { dictionary: TOKENS }),
})
type ProcessFiles = typeof processArb extends fc.Arbitrary<infer T> ? T : never
const ctx = { procRoot, bootTimeS: 1_700_000_000, ticksPerSecond: 100, buffer: Buffer.alloc(16384) }

const readProcessTarget = {
  name: 'agent.proc-read-process',
  arbitrary: processArb,
  cases: 600,
  corpus: join(REGRESSIONS, 'proc-read-process'),
  ...jsonCodec<ProcessFiles>(),
  check (p: ProcessFiles) {
    for (const [name, content] of Object.entries(p)) writeFileSync(join(procRoot, String(PID), name), content)
    const r = returnsOrThrows(() => readProcess(ctx, PID, 1_700_000_000_000), never)
    if (!('value' in r) || r.value.kind !== 'process') return
    const record = r.value.record
    holds(!Number.isNaN(Date.parse(record.startTime)), `start time ${record.startTime}`)
    holds(record.pid === PID && safe(record.ppid) && safe(record.startTicks), `record ${JSON.stringify(record)}`)
  },
}

fuzzTargets(t, [statTarget, statRoundTrip, statusTarget, cgroupTarget, netTcpTarget, netTcpRoundTrip, passwdTarget, smallTarget, readProcessTarget])
