// Which interface `--capture auto` listens on: the task ENI from the ECS task metadata v4 (a
// local server on port 0 answers the documented JSON shape), else the default route's interface
// (/proc/net/route from crafted text), else none. Task addresses become /32 and /128 ranges.
import t from 'tap'
import { once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { NetworkInterfaceInfo } from 'node:os'
import { join } from 'node:path'
import { chooseInterface, type Interfaces } from '../src/net/capture/choose-interface'
import { parseDefaultRoute } from '../src/net/capture/default-route'
import { fetchTaskAddresses, taskAddressesOf } from '../src/net/capture/task-metadata'

const ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT'
const route = (iface: string, dest: string, flags: string, metric: number, mask: string): string =>
  `${iface}\t${dest}\t010200C0\t${flags}\t0\t0\t${metric}\t${mask}\t0\t0\t0`

/** The documented shape of GET ${ECS_CONTAINER_METADATA_URI_V4}/task on Fargate (trimmed). */
const TASK_DOC = {
  Cluster: 'arn:aws:ecs:us-west-2:111122223333:cluster/default',
  TaskARN: 'arn:aws:ecs:us-west-2:111122223333:task/default/158d1c8083dd49d6b527399fd6414f5c',
  Family: 'curltest',
  Revision: '26',
  LaunchType: 'FARGATE',
  Containers: [
    {
      Name: 'app',
      Networks: [{
        NetworkMode: 'awsvpc',
        IPv4Addresses: ['198.51.100.20'],
        IPv6Addresses: ['2001:db8::20'],
        AttachmentIndex: 0,
        MACAddress: '0a:de:f6:10:51:e5',
        IPv4SubnetCIDRBlock: '198.51.100.0/24',
        PrivateDNSName: 'ip-198-51-100-20.us-west-2.compute.internal',
      }],
    },
    { Name: 'sidewatch', Networks: [{ NetworkMode: 'awsvpc', IPv4Addresses: ['198.51.100.20'] }] },
  ],
}

function nic (address: string, internal = false): NetworkInterfaceInfo {
  const v6 = address.includes(':')
  return { address, netmask: v6 ? 'ffff:ffff:ffff:ffff::' : '255.255.255.0', family: v6 ? 'IPv6' : 'IPv4', mac: '0a:00:00:00:00:01', internal, cidr: null, ...(v6 ? { scopeid: 0 } : {}) } as NetworkInterfaceInfo
}

const INTERFACES: Interfaces = {
  lo: [nic('127.0.0.1', true), nic('::1', true)],
  eth0: [nic('203.0.113.5'), nic('fe80::1%eth0')],
  eth1: [nic('198.51.100.20'), nic('2001:db8::20')],
}

async function metadataServer (t: { teardown: (fn: () => unknown) => void },
  handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ uri: string, paths: string[] }> {
  const paths: string[] = []
  const server = createServer((req, res) => { paths.push(req.url ?? ''); handler(req, res) })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v4/0123456789abcdef-1234`, paths }
}

function procWithRoute (t: { testdir: () => string }, lines: string[]): string {
  const root = t.testdir()
  mkdirSync(join(root, 'net'))
  writeFileSync(join(root, 'net', 'route'), [ROUTE_HEADER, ...lines, ''].join('\n'))
  return root
}

t.test('parseDefaultRoute: destination and mask 0, up, lowest metric', async (t) => {
  t.equal(parseDefaultRoute([ROUTE_HEADER, route('eth0', '000200C0', '0001', 0, '00FFFFFF'), route('eth1', '00000000', '0003', 0, '00000000')].join('\n')), 'eth1')
  t.equal(parseDefaultRoute([ROUTE_HEADER, route('eth0', '00000000', '0003', 200, '00000000'), route('eth1', '00000000', '0003', 100, '00000000')].join('\n')), 'eth1', 'lowest metric')
  t.equal(parseDefaultRoute([ROUTE_HEADER, route('eth0', '00000000', '0002', 0, '00000000')].join('\n')), undefined, 'a route that is not up')
  t.equal(parseDefaultRoute([ROUTE_HEADER, route('eth0', '000200C0', '0001', 0, '00FFFFFF')].join('\n')), undefined, 'no default route')
  t.equal(parseDefaultRoute(''), undefined)
})

t.test('taskAddressesOf: every container network, IPv4 and IPv6, deduplicated', async (t) => {
  t.same(taskAddressesOf(TASK_DOC), ['198.51.100.20', '2001:db8::20'])
  t.same(taskAddressesOf({ Containers: [{ Networks: [{ NetworkMode: 'awsvpc' }] }, {}] }), [])
  t.same(taskAddressesOf(null), [])
  t.same(taskAddressesOf({ Containers: 'no' }), [])
})

t.test('auto with task metadata: the interface holding a task address', async (t) => {
  const md = await metadataServer(t, (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(TASK_DOC)) })
  const choice = await chooseInterface('auto', {
    env: { ECS_CONTAINER_METADATA_URI_V4: md.uri }, interfaces: INTERFACES, procRoot: procWithRoute(t, [route('eth0', '00000000', '0003', 0, '00000000')]),
  })
  t.same(md.paths, ['/v4/0123456789abcdef-1234/task'], 'GET ${uri}/task')
  t.equal(choice.iface, 'eth1', 'the ENI, not the default route')
  t.match(choice.reason, /task address 198\.51\.100\.20 \(ECS task metadata\)/)
  t.same(choice.taskNets, ['198.51.100.20/32', '2001:db8::20/128', '127.0.0.0/8', '::1/128'])
})

t.test('auto: metadata failing or naming no local interface falls back to the default route', async (t) => {
  const procRoot = procWithRoute(t, [route('eth0', '00000000', '0003', 0, '00000000')])
  const broken = await metadataServer(t, (_req, res) => { res.writeHead(500).end('boom') })
  const fromBroken = await chooseInterface('auto', { env: { ECS_CONTAINER_METADATA_URI_V4: broken.uri }, interfaces: INTERFACES, procRoot })
  t.equal(fromBroken.iface, 'eth0')
  t.match(fromBroken.reason, /HTTP 500; it carries the default route/)
  t.same(fromBroken.taskNets, ['203.0.113.5/32', 'fe80::1/128', '127.0.0.0/8', '::1/128'], 'the route interface addresses are the task\'s')

  const silent = await metadataServer(t, () => { /* never answers */ })
  const started = Date.now()
  const fromSilent = await chooseInterface('auto', { env: { ECS_CONTAINER_METADATA_URI_V4: silent.uri }, interfaces: INTERFACES, procRoot, timeoutMs: 200 })
  t.ok(Date.now() - started < 2000, 'a silent endpoint costs the timeout, not more')
  t.equal(fromSilent.iface, 'eth0')
  t.match(fromSilent.reason, /no answer within 200 ms/)

  const elsewhere = await metadataServer(t, (_req, res) => {
    res.end(JSON.stringify({ Containers: [{ Networks: [{ IPv4Addresses: ['192.0.2.99', 'not-an-address'] }] }] }))
  })
  const fromElsewhere = await chooseInterface('auto', { env: { ECS_CONTAINER_METADATA_URI_V4: elsewhere.uri }, interfaces: INTERFACES, procRoot })
  t.equal(fromElsewhere.iface, 'eth0')
  t.match(fromElsewhere.reason, /no interface holds a task address \(192\.0\.2\.99, not-an-address\)/)
  t.same(fromElsewhere.taskNets, ['192.0.2.99/32', '127.0.0.0/8', '::1/128'], 'the metadata addresses stay the task\'s (what is not an address is dropped)')

  await t.rejects(fetchTaskAddresses('http://127.0.0.1:1/v4/x', 500), { code: 'SW_ERR_CAPTURE', message: /ECS task metadata http:\/\/127\.0\.0\.1:1\/v4\/x\/task: / })
})

t.test('auto without metadata: default route, else none; a named interface; off', async (t) => {
  const viaRoute = await chooseInterface('auto', { env: {}, interfaces: INTERFACES, procRoot: procWithRoute(t, [route('eth1', '00000000', '0003', 0, '00000000')]) })
  t.match(viaRoute, { iface: 'eth1', reason: 'ECS_CONTAINER_METADATA_URI_V4 is not set; it carries the default route' })

  const none = await chooseInterface('auto', { env: {}, interfaces: INTERFACES, procRoot: procWithRoute(t, []) })
  t.equal(none.iface, undefined)
  t.match(none.reason, /is not set, and there is no default route/)
  t.ok(none.taskNets.includes('198.51.100.20/32') && none.taskNets.includes('203.0.113.5/32'), 'then every local address is the task\'s')

  t.match(await chooseInterface('eth0', { env: {}, interfaces: INTERFACES }), { iface: 'eth0', reason: 'named by --capture', taskNets: ['203.0.113.5/32', 'fe80::1/128', '127.0.0.0/8', '::1/128'] })
  t.match(await chooseInterface('off', { env: {}, interfaces: INTERFACES }), { iface: undefined, reason: 'capture is off' })
})
