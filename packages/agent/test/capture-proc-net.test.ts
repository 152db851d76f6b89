// /proc/net/{tcp,tcp6,udp,udp6} parsing from crafted text (the kernel's hex words, IPv6 and
// IPv4-mapped addresses), and the connection poller that is the fallback without capture,
// run over crafted /proc trees so that every poll is deterministic.
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeHexAddress, parseProcNet, readProcNet } from '../src/net/capture/proc-net-table'
import { ProcNetPoller } from '../src/net/capture/proc-net-poller'
import type { FlowEventRecord } from '../src/net/capture/flow-event'
import { TaskNets } from '../src/net/task-nets'

const HEADER4 = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'
const HEADER6 = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'

/** One /proc/net/tcp line as a little-endian kernel prints it. */
function line4 (sl: number, local: string, remote: string, state: number, inode: number): string {
  return `  ${sl}: ${local} ${remote} ${state.toString(16).toUpperCase().padStart(2, '0')} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0`
}

t.test('IPv4 words are the network-order bytes read as a little-endian integer', async (t) => {
  t.equal(decodeHexAddress('0100007F'), '127.0.0.1')
  t.equal(decodeHexAddress('010200C0'), '192.0.2.1')
  t.equal(decodeHexAddress('00000000'), '0.0.0.0')
  t.equal(decodeHexAddress('0A6433C6'), '198.51.100.10')
})

t.test('IPv6: four such words; compressed text; IPv4-mapped as the plain IPv4 address', async (t) => {
  t.equal(decodeHexAddress('00000000000000000000000001000000'), '::1')
  t.equal(decodeHexAddress('00000000000000000000000000000000'), '::')
  // 2001:db8::5 → bytes 20 01 0d b8 | 00.. | 00.. | 00 00 00 05
  t.equal(decodeHexAddress('B80D0120000000000000000005000000'), '2001:db8::5')
  // fe80::1:2 with the longest zero run compressed
  t.equal(decodeHexAddress('000080FE000000000000000002000100'), 'fe80::1:2')
  // ::ffff:192.0.2.7, how a dual-stack socket talking IPv4 shows in tcp6
  t.equal(decodeHexAddress('0000000000000000FFFF0000070200C0'), '192.0.2.7')
})

t.test('parseProcNet: ports, state, inode; header and junk lines ignored', async (t) => {
  const text = [HEADER4,
    line4(0, '010200C0:1F90', '00000000:0000', 0x0a, 4242),
    line4(1, '010200C0:1F90', '020200C0:C350', 0x01, 4343),
    line4(2, '0100007F:0016', '0100007F:D431', 0x06, 0),
    '  garbage line',
    ''].join('\n')
  t.same(parseProcNet(text, 'tcp'), [
    { proto: 'tcp', local: '192.0.2.1', localPort: 8080, remote: '0.0.0.0', remotePort: 0, state: 10, inode: 4242 },
    { proto: 'tcp', local: '192.0.2.1', localPort: 8080, remote: '192.0.2.2', remotePort: 50000, state: 1, inode: 4343 },
    { proto: 'tcp', local: '127.0.0.1', localPort: 22, remote: '127.0.0.1', remotePort: 54321, state: 6, inode: 0 },
  ])
  const six = [HEADER6,
    `   0: 0000000000000000FFFF0000010200C0:1F90 0000000000000000FFFF0000020200C0:C351 01 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 20 4 30 10 -1`,
    `   1: B80D0120000000000000000005000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 778 1 0000000000000000 100 0 0 10 0`,
  ].join('\n')
  t.same(parseProcNet(six, 'tcp'), [
    { proto: 'tcp', local: '192.0.2.1', localPort: 8080, remote: '192.0.2.2', remotePort: 50001, state: 1, inode: 777 },
    { proto: 'tcp', local: '2001:db8::5', localPort: 443, remote: '::', remotePort: 0, state: 10, inode: 778 },
  ])
  t.same(readProcNet('tcp', join(t.testdir(), 'no-such-proc')), [], 'a missing table (no IPv6) reads as empty')
})

t.test('the poller records each connection once, when it is gone, with the right initiator', async (t) => {
  const root = t.testdir()
  mkdirSync(join(root, 'net'))
  const write = (tcp: string[], tcp6: string[] = []): void => {
    writeFileSync(join(root, 'net', 'tcp'), [HEADER4, ...tcp, ''].join('\n'))
    writeFileSync(join(root, 'net', 'tcp6'), [HEADER6, ...tcp6, ''].join('\n'))
  }
  const records: FlowEventRecord[] = []
  let now = 1_800_000_000_000
  let fresh = 0
  const task = new TaskNets(['192.0.2.1/32', '127.0.0.0/8', '::1/128'])
  const poller = new ProcNetPoller({
    procRoot: root, now: () => now, isTaskAddress: (a) => task.contains(a), onRecord: (r) => records.push(r), onNew: () => fresh++,
  })
  const listen = line4(0, '00000000:1F90', '00000000:0000', 0x0a, 10) // *:8080
  const inbound = line4(1, '010200C0:1F90', '020200C0:C350', 0x01, 11) // 192.0.2.2:50000 → us:8080
  const outbound = line4(2, '010200C0:D431', '076433C6:01BB', 0x01, 12) // us:54321 → 198.51.100.7:443
  const loopClient = line4(3, '0100007F:9C40', '0100007F:1F90', 0x01, 13) // 127.0.0.1:40000 → :8080
  const loopServer = line4(4, '0100007F:1F90', '0100007F:9C40', 0x01, 14)

  const closedBefore = line4(6, '010200C0:0050', '040200C0:C35A', 0x06, 0) // TIME_WAIT before the agent started
  write([listen, inbound, outbound, loopClient, loopServer, closedBefore])
  poller.poll()
  t.equal(records.length, 0, 'nothing while they are open, nor for what closed before the first poll')
  t.equal(fresh, 1, 'new connections announced once per poll')
  t.match(poller.counters(), { flows: 3, connections: 3 }, 'the loopback connection counts once')

  now += 1000
  write([listen, inbound, outbound, loopClient, loopServer])
  poller.poll()
  t.equal(fresh, 1, 'nothing new')

  now += 1000
  // the inbound one is gone, the outbound one in TIME_WAIT (inode 0), loopback still open
  write([listen, line4(2, '010200C0:D431', '076433C6:01BB', 0x06, 0), loopClient, loopServer])
  poller.poll()
  t.same(records.map((r) => [r.src, r.sport, r.dst, r.dport, r.scope, r.end, r.first, r.last]), [
    ['192.0.2.1', 54321, '198.51.100.7', 443, 'outbound', 'poll', 1_800_000_000, 1_800_000_001],
    ['192.0.2.2', 50000, '192.0.2.1', 8080, 'inbound', 'poll', 1_800_000_000, 1_800_000_001],
  ], 'TIME_WAIT and gone both end the record; last is the last poll that saw it open')
  t.match(records[0], { src_pkts: 0, src_bytes: 0, dst_pkts: 0, dst_bytes: 0, proto: 'tcp' }, 'no counts without capture')

  now += 1000
  write([listen, line4(2, '010200C0:D431', '076433C6:01BB', 0x06, 0), loopClient, loopServer])
  poller.poll()
  t.equal(records.length, 2, 'a lingering TIME_WAIT entry is not recorded again')

  // a connection that opened and closed between two polls: recorded when first seen closed
  write([listen, line4(5, '010200C0:1F90', '030200C0:C352', 0x06, 0), loopClient, loopServer])
  poller.poll()
  t.match(records[2], { src: '192.0.2.3', sport: 50002, dst: '192.0.2.1', dport: 8080, end: 'poll' })

  // no listener on its local port (gone since): the ephemeral port is the client's
  write([listen, line4(7, '010200C0:01BB', '050200C0:C35A', 0x01, 15), loopClient, loopServer])
  poller.poll()
  poller.close()
  t.match(records.slice(3), [
    { src: '127.0.0.1', sport: 40000, dst: '127.0.0.1', dport: 8080, scope: 'intra-task' },
    { src: '192.0.2.5', sport: 50010, dst: '192.0.2.1', dport: 443, scope: 'inbound' },
  ], 'close records what is still open; initiators by port when no listener says; the loopback client')
  t.equal(records.length, 5)
})
