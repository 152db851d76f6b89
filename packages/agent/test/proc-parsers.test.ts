// The /proc parsers over crafted text: the lines a hostile or unusual process can produce (a
// command name with ") (" in it, a huge command line), the cgroup layouts of each container
// runtime, the terminal numbers, and the hex addresses of /proc/net/tcp.
import t from 'tap'
import { parseBootTime, startTimeIso } from '../src/proc/boot-time'
import { containerIdFromCgroup } from '../src/proc/cgroup'
import { parseCmdline } from '../src/proc/cmdline'
import { containerNamesFromTaskMetadata } from '../src/proc/ecs-containers'
import { parseExeLink } from '../src/proc/exe-link'
import { hexAddress, parseNetTcp, TCP_ESTABLISHED, TCP_LISTEN } from '../src/proc/net-tcp'
import { ancestors } from '../src/proc/parent-chain'
import { parsePasswd } from '../src/proc/passwd'
import { isShell } from '../src/proc/shells'
import { parseSshdTitle } from '../src/proc/sshd-title'
import { PF_KTHREAD, parseStat } from '../src/proc/stat'
import { parseStatusIds } from '../src/proc/status'
import { isPseudoTerminal, ttyName } from '../src/proc/tty'

const STAT_TAIL = '4194560 99 0 0 0 0 0 0 0 20 0 1 0 118291 3133440 387 18446744073709551615 1 2 3 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0'

t.test('stat: fields after the last ")", whatever the command name holds', async (t) => {
  const cases: Array<[string, string]> = [
    ['cat', 'cat'],
    ['a) (b', 'a) (b'],
    ['x) S 1 2 3 34816 (', 'x) S 1 2 3 34816 ('],
    ['with space', 'with space'],
    [')', ')'],
    ['', ''],
  ]
  for (const [label, comm] of cases) {
    const stat = parseStat(`4242 (${comm}) S 17 4242 4100 34817 -1 ${STAT_TAIL}\n`)
    t.same(stat, { pid: 4242, comm, state: 'S', ppid: 17, pgrp: 4242, session: 4100, ttyNr: 34817, flags: 4194560, startTicks: 118291 }, JSON.stringify(label))
  }
  t.equal(parseStat(`2 (kthreadd) S 0 0 0 0 -1 ${PF_KTHREAD | 0x40} ${STAT_TAIL.split(' ').slice(1).join(' ')}`)?.flags, PF_KTHREAD | 0x40)
  t.equal(parseStat(''), undefined, 'empty')
  t.equal(parseStat('4242 (cut'), undefined, 'no closing parenthesis')
  t.equal(parseStat('4242 (short) S 1 2 3'), undefined, 'too few fields')
  t.equal(parseStat('x (a) S 1 2 3 0 -1 ' + STAT_TAIL), undefined, 'pid not a number')
})

t.test('status: real and effective uid and gid', async (t) => {
  const text = 'Name:\tpasswd\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\nGroups:\t\n'
  t.same(parseStatusIds(text), { uid: 1000, euid: 0, gid: 1000, egid: 1000 })
  t.same(parseStatusIds('Uid:\t0\t0\t0\t0\nGid:\t5\t6\t0\t0'), { uid: 0, euid: 0, gid: 5, egid: 6 }, 'Uid on the first line, no final newline')
  t.equal(parseStatusIds('Name:\tx\nGid:\t1\t1\t1\t1\n'), undefined, 'no Uid line')
  t.equal(parseStatusIds('Uid:\tx\ty\nGid:\t1\t1\n'), undefined, 'garbage ids')
})

t.test('cgroup: the container id of each runtime, v1 and v2', async (t) => {
  const docker = 'a'.repeat(32) + 'b'.repeat(32)
  const cri = '0123456789abcdef'.repeat(4)
  const cases: Array<[string, string, string | undefined]> = [
    ['ECS on EC2, cgroup v1', `12:memory:/ecs/5a0d5ee2a3a744c3b0e5f9b9f0e6b3f1/${docker}\n11:cpu,cpuacct:/ecs/5a0d5ee2a3a744c3b0e5f9b9f0e6b3f1/${docker}\n`, docker],
    ['ECS Fargate, cgroup v1', '9:perf_event:/ecs/cd189a933e5849daa93386466019ab50/cd189a933e5849daa93386466019ab50-2495160603\n', 'cd189a933e5849daa93386466019ab50-2495160603'],
    ['ECS, cgroup v2', `0::/ecs/5a0d5ee2a3a744c3b0e5f9b9f0e6b3f1/${docker}\n`, docker],
    ['Docker, cgroup v1', `13:name=systemd:/docker/${docker}\n12:pids:/docker/${docker}\n`, docker],
    ['Docker, cgroup v2 systemd driver', `0::/system.slice/docker-${docker}.scope\n`, docker],
    ['Docker in Docker', `0::/docker/${docker}/docker/${cri}\n`, docker],
    ['containerd CRI, cgroup v2', `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e3d4c_5b6a_7980_a1b2_c3d4e5f6a7b8.slice/cri-containerd-${cri}.scope\n`, cri],
    ['Kubernetes cgroupfs driver, v1', `10:cpu,cpuacct:/kubepods/besteffort/pod1f2e3d4c-5b6a-7980-a1b2-c3d4e5f6a7b8/${cri}\n`, cri],
    ['Kubernetes v1 guaranteed', `4:memory:/kubepods/pod1f2e3d4c-5b6a-7980-a1b2-c3d4e5f6a7b8/${cri}\n`, cri],
    ['CRI-O', `0::/kubepods.slice/kubepods-pod1.slice/crio-${cri}.scope\n`, cri],
    ['Podman', `0::/machine.slice/libpod-${cri}.scope\n`, cri],
    ['host, cgroup v2', '0::/user.slice/user-1000.slice/session-3.scope\n', undefined],
    ['host, cgroup v1', '12:pids:/\n11:memory:/\n0::/\n', undefined],
    ['a kubepods path without a container id', '0::/kubepods.slice/kubepods-burstable.slice\n', undefined],
    ['empty', '', undefined],
  ]
  for (const [label, text, want] of cases) t.equal(containerIdFromCgroup(text), want, label)
})

t.test('tty: tty_nr decoded to a device name', async (t) => {
  const dev = (major: number, minor: number): number => (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)
  const cases: Array<[number, string | undefined]> = [
    [0, undefined],
    [dev(136, 0), '/dev/pts/0'],
    [34817, '/dev/pts/1'],
    [dev(136, 255), '/dev/pts/255'],
    [dev(137, 0), '/dev/pts/256'],
    [dev(143, 255), '/dev/pts/2047'],
    [dev(136, 300), '/dev/pts/300'], // minor above 255: high minor bits
    [dev(4, 1), '/dev/tty1'],
    [dev(4, 63), '/dev/tty63'],
    [dev(4, 64), '/dev/ttyS0'],
    [dev(5, 0), '/dev/tty'],
    [dev(5, 1), '/dev/console'],
    [dev(5, 2), '/dev/ptmx'],
    [dev(204, 64), '/dev/char/204:64'],
  ]
  for (const [nr, want] of cases) t.equal(ttyName(nr), want, `tty_nr ${nr}`)
  t.ok(isPseudoTerminal(dev(140, 3)))
  t.notOk(isPseudoTerminal(dev(4, 1)))
  t.notOk(isPseudoTerminal(0))
})

t.test('boot time and start time', async (t) => {
  t.equal(parseBootTime('cpu  1 2 3\nintr 5\nctxt 9\nbtime 1795818842\nprocesses 12\n'), 1795818842)
  t.equal(parseBootTime('cpu 1\nbtimex 5\n'), undefined)
  t.equal(startTimeIso(1795818842, 118291, 100), new Date((1795818842 + 1182.91) * 1000).toISOString())
  t.equal(startTimeIso(0, 250, 250), '1970-01-01T00:00:01.000Z', 'another tick rate')
})

t.test('cmdline: NUL-separated, cut at the byte limit', async (t) => {
  const parse = (text: string, limit?: number) => { const b = Buffer.from(text); return parseCmdline(b, b.length, limit) }
  t.same(parse('sleep\x0030\x00'), { args: ['sleep', '30'], truncated: false })
  t.same(parse('sshd: root@pts/0'), { args: ['sshd: root@pts/0'], truncated: false }, 'a retitled process: no NUL')
  t.same(parse('a\x00\x00b\x00'), { args: ['a', '', 'b'], truncated: false }, 'an empty argument is kept')
  t.same(parse(''), { args: [], truncated: false }, 'zombie or kernel thread')
  t.same(parse('abcdefghij\x00', 4), { args: ['abcd'], truncated: true }, 'more than the limit')
  t.same(parse('abc\x00', 4), { args: ['abc'], truncated: false }, 'exactly the limit')
  const many = Buffer.from('x\x00'.repeat(2000))
  const cut = parseCmdline(many, many.length, 8192)
  t.equal(cut.args.length, 1024, 'at most 1024 arguments')
  t.equal(cut.truncated, true)
})

t.test('passwd: uid to name, first entry wins, junk skipped', async (t) => {
  const names = parsePasswd('root:x:0:0:root:/root:/bin/bash\n# comment\n\nbroken\napp:x:1000:1000::/app:/sbin/nologin\ntoor:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/usr/sbin/nologin\nbad:x::1::/:\n')
  t.same([...names], [[0, 'root'], [1000, 'app'], [65534, 'nobody']])
})

t.test('exe link: the deleted marker', async (t) => {
  t.same(parseExeLink('/usr/bin/sleep'), { path: '/usr/bin/sleep', deleted: false })
  t.same(parseExeLink('/tmp/x (deleted)'), { path: '/tmp/x', deleted: true })
  t.same(parseExeLink('/tmp/odd (deleted) name'), { path: '/tmp/odd (deleted) name', deleted: false })
})

t.test('/proc/net/tcp: addresses, ports, states and inodes', async (t) => {
  const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:08FB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 40070 1 0000000000000000 100 0 0 10 0
   1: 0100007F:08FB 0100007F:80E0 01 00000000:00000000 02:0009E3A1 00000000     0        0 40081 4 0000000000000000 20 4 30 10 -1
   2: garbage line
`
  t.same(parseNetTcp(tcp), [
    { local: { address: '127.0.0.1', port: 2299 }, remote: { address: '0.0.0.0', port: 0 }, state: TCP_LISTEN, uid: 0, inode: 40070 },
    { local: { address: '127.0.0.1', port: 2299 }, remote: { address: '127.0.0.1', port: 32992 }, state: TCP_ESTABLISHED, uid: 0, inode: 40081 },
  ])
  const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:0016 0000000000000000FFFF00000A00000A:C350 01 00000000:00000000 00:00000000 00000000  1000        0 778 1 0000000000000000 100 0 0 10 0
`
  const six = parseNetTcp(tcp6)
  t.same(six[0]?.local, { address: '::', port: 22 })
  t.same(six[1]?.local, { address: '127.0.0.1', port: 22 }, 'v4-mapped given as v4')
  t.same(six[1]?.remote, { address: '10.0.0.10', port: 50000 })
  t.equal(six[1]?.uid, 1000)
  // 2001:db8::1 is stored as four little-endian words: B80D0120 00000000 00000000 01000000
  t.equal(hexAddress('B80D0120000000000000000001000000'), '2001:db8::1')
  t.equal(hexAddress('000080FE000000000000000001000000'), 'fe80::1')
  t.equal(hexAddress('00000000000000000000000001000000'), '::1')
  t.equal(hexAddress('B80D0120010000000200000003000000'), '2001:db8:0:1:0:2:0:3', 'single zero groups are not compressed')
  t.equal(hexAddress('0100007'), undefined)
  t.equal(hexAddress('zz00007F'), undefined)
})

t.test('sshd titles: only USER@TTY is a login', async (t) => {
  const cases: Array<[string[], unknown]> = [
    [['sshd: /usr/sbin/sshd -D -e -f /tmp/c [listener] 0 of 10-100 startups'], { kind: 'listener' }],
    [['/usr/sbin/sshd', '-D'], undefined],
    [['sshd: [accepted]'], { kind: 'accepted' }],
    [['sshd: root [priv]'], { kind: 'auth', user: 'root' }],
    [['sshd: unknown [net]'], { kind: 'auth', user: 'unknown' }],
    [['sshd: app [preauth]'], { kind: 'auth', user: 'app' }],
    [['sshd: root'], { kind: 'authenticated', user: 'root' }],
    [['sshd: root@pts/0'], { kind: 'session', user: 'root', tty: '/dev/pts/0' }],
    [['sshd: app@pts/3,pts/4'], { kind: 'session', user: 'app', tty: '/dev/pts/3' }],
    [['sshd: app@notty'], { kind: 'session', user: 'app', tty: undefined }],
    [['sshd-session: app@pts/1'], { kind: 'session', user: 'app', tty: '/dev/pts/1' }],
    [['sshd: root@pts/0   '], { kind: 'session', user: 'root', tty: '/dev/pts/0' }],
    [['bash', '-c', 'sshd: root@pts/0'], undefined],
    [[], undefined],
  ]
  for (const [cmdline, want] of cases) t.same(parseSshdTitle(cmdline), want, JSON.stringify(cmdline))
})

t.test('shells by executable or command name', async (t) => {
  t.ok(isShell('/usr/bin/dash', 'sh'))
  t.ok(isShell(undefined, '-bash'), 'login shell')
  t.ok(isShell('/bin/busybox', 'ash'))
  t.notOk(isShell('/usr/bin/python3', 'python3'))
  t.notOk(isShell('/usr/local/bin/shiny', 'shiny'))
})

t.test('ECS task metadata v4: DockerId to container name', async (t) => {
  const names = containerNamesFromTaskMetadata({
    Cluster: 'c',
    Containers: [
      { DockerId: 'cd189a933e5849daa93386466019ab50-2495160603', Name: 'app' },
      { DockerId: 'cd189a933e5849daa93386466019ab50-1111111111', Name: 'sidewatch' },
      { Name: 'no-id' },
      null,
    ],
  })
  t.same([...names], [['cd189a933e5849daa93386466019ab50-2495160603', 'app'], ['cd189a933e5849daa93386466019ab50-1111111111', 'sidewatch']])
  t.equal(containerNamesFromTaskMetadata('nonsense').size, 0)
  t.equal(containerNamesFromTaskMetadata(null).size, 0)
})

t.test('parent chain: nearest first, stops at the unknown and at loops', async (t) => {
  const table = new Map([[1, { pid: 1, ppid: 0 }], [10, { pid: 10, ppid: 1 }], [20, { pid: 20, ppid: 10 }], [30, { pid: 30, ppid: 999 }], [40, { pid: 40, ppid: 41 }], [41, { pid: 41, ppid: 40 }]])
  t.same(ancestors(table, 20).map((p) => p.pid), [10, 1])
  t.same(ancestors(table, 20, 1).map((p) => p.pid), [10])
  t.same(ancestors(table, 30), [], 'parent outside the table')
  t.same(ancestors(table, 40).map((p) => p.pid), [41], 'a loop ends')
  t.same(ancestors(table, 12345), [])
})
