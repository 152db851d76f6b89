// Socket owners against the real /proc: sockets of this test process and of a child process,
// found by 5-tuple (tcp, tcp6 with IPv4-mapped addresses, udp), by the bound socket when the
// connection has none, and still after the socket closed.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { readlinkSync } from 'node:fs'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { SocketOwners } from '../src/net/capture/socket-owners'

const self = { pid: process.pid, exe: readlinkSync('/proc/self/exe') }

async function serve (t: { teardown: (fn: () => unknown) => void }, host: string): Promise<{ server: Server, port: number, accepted: Promise<Socket> }> {
  const server = createServer()
  const accepted = once(server, 'connection').then(([s]) => s as Socket)
  server.listen(0, host)
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  return { server, port: (server.address() as AddressInfo).port, accepted }
}

t.test('a connected TCP socket of this process, both ends, and after it closed', async (t) => {
  const { port, accepted } = await serve(t, '127.0.0.1')
  const client = connect(port, '127.0.0.1')
  await once(client, 'connect')
  const serverSide = await accepted
  const cport = client.localPort as number
  const owners = new SocketOwners()
  t.same(owners.lookup('tcp', '127.0.0.1', cport, '127.0.0.1', port), self, 'client end')
  t.same(owners.lookup('tcp', '127.0.0.1', port, '127.0.0.1', cport), self, 'server end')
  t.same(owners.lookup('tcp', '127.0.0.1', port, '198.51.100.9', 1234), self, 'an unknown peer falls back to the listening socket')
  t.equal(owners.lookup('tcp', '127.0.0.1', 1, '127.0.0.1', 2), undefined, 'nobody owns port 1')
  t.equal(owners.lookup('udp', '127.0.0.1', cport, '127.0.0.1', port), undefined, 'the protocol is part of the key')

  client.destroy()
  serverSide.destroy()
  await once(client, 'close')
  owners.refresh(true)
  t.same(owners.lookup('tcp', '127.0.0.1', cport, '127.0.0.1', port), self, 'remembered after the socket closed')
})

t.test('a dual-stack listener: tcp6 entries with IPv4-mapped addresses match IPv4 flows', async (t) => {
  const { port, accepted } = await serve(t, '::')
  const client = connect(port, '127.0.0.1')
  await once(client, 'connect')
  const serverSide = await accepted
  t.teardown(() => { client.destroy(); serverSide.destroy() })
  const owners = new SocketOwners()
  t.same(owners.lookup('tcp', '127.0.0.1', port, '127.0.0.1', client.localPort as number), self, 'accepted socket via ::ffff:127.0.0.1')
  t.same(owners.lookup('tcp', '192.0.2.1', port, '192.0.2.2', 40000), self, 'any local IPv4 address reaches the :: listener')
})

t.test('an unconnected UDP socket owns the flows to its bound address', async (t) => {
  const udp = createSocket('udp4')
  udp.bind(0, '127.0.0.1')
  await once(udp, 'listening')
  t.teardown(() => udp.close())
  const owners = new SocketOwners()
  t.same(owners.lookup('udp', '127.0.0.1', udp.address().port, '127.0.0.1', 9), self)
})

t.test('another process: its pid and executable', async (t) => {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port) })`],
    { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const [chunk] = await once(child.stdout, 'data') as [Buffer]
  const port = Number(chunk.toString().trim())
  const owners = new SocketOwners()
  t.same(owners.lookup('tcp', '127.0.0.1', port, '127.0.0.1', 50000), { pid: child.pid, exe: readlinkSync(`/proc/${child.pid as number}/exe`) })
})

t.test('misses rescan at most once per minRescanMs', async (t) => {
  let now = 0
  const owners = new SocketOwners({ minRescanMs: 500, now: () => now })
  owners.lookup('tcp', '127.0.0.1', 1, '127.0.0.1', 2)
  owners.lookup('tcp', '127.0.0.1', 1, '127.0.0.1', 3)
  t.equal(owners.scans, 1, 'the second miss within 500 ms does not rescan')
  now = 600
  owners.lookup('tcp', '127.0.0.1', 1, '127.0.0.1', 4)
  t.equal(owners.scans, 2)
  t.ok(owners.refresh(true) && owners.scans === 3, 'refresh(true) always scans')
})

t.test('a crafted /proc: inode to pid and exe; an inode nobody shows is not searched for on every scan', async (t) => {
  const { mkdirSync, symlinkSync, writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const root = t.testdir()
  mkdirSync(join(root, 'net'))
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'
  const entry = (local: string, remote: string, inode: number): string =>
    `   0: ${local} ${remote} 01 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 20 4 30 10 -1`
  writeFileSync(join(root, 'net', 'tcp'), [header,
    entry('010200C0:1F90', '020200C0:C350', 4343), // 192.0.2.1:8080 ↔ 192.0.2.2:50000, owned by pid 123
    entry('010200C0:1F91', '020200C0:C351', 5555), // owned by nobody visible
    ''].join('\n'))
  mkdirSync(join(root, '123', 'fd'), { recursive: true })
  symlinkSync('/dev/null', join(root, '123', 'fd', '0'))
  symlinkSync('socket:[4343]', join(root, '123', 'fd', '7'))
  symlinkSync('/usr/local/bin/app (deleted)', join(root, '123', 'exe'))
  mkdirSync(join(root, 'self'))
  let now = 0
  const owners = new SocketOwners({ procRoot: root, now: () => now })
  t.same(owners.lookup('tcp', '192.0.2.1', 8080, '192.0.2.2', 50000), { pid: 123, exe: '/usr/local/bin/app' }, 'a deleted executable keeps its path')
  t.equal(owners.lookup('tcp', '192.0.2.1', 8081, '192.0.2.2', 50001), undefined)
  const walks = owners.fdWalks
  now = 1000
  owners.refresh(true)
  t.equal(owners.fdWalks, walks, 'within 5 s the unowned inode is not looked for again')
  now = 7000
  owners.refresh(true)
  t.equal(owners.fdWalks, walks + 1, 'after 5 s it is')
})
