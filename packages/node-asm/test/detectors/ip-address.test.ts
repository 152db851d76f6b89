import t from 'tap'
import { classifyDestination, parseIPv4, parseIPv6 } from '../../src/detectors/ip-address'

const IPV4: Array<[string, string | undefined]> = [
  ['127.0.0.1', '127.0.0.1'],
  ['127.1', '127.0.0.1'],
  ['127.0.1', '127.0.0.1'],
  ['2852039166', '169.254.169.254'],
  ['0251.0376.0251.0376', '169.254.169.254'],
  ['0xa9fea9fe', '169.254.169.254'],
  ['0XA9.0xFE.0251.254', '169.254.169.254'],
  ['169.254.43518', '169.254.169.254'],
  ['017700000001', '127.0.0.1'],
  ['0x7f.1', '127.0.0.1'],
  ['0', '0.0.0.0'],
  ['0x', '0.0.0.0'],
  ['127.0.0.1.', '127.0.0.1'],
  ['4294967295', '255.255.255.255'],
  ['4294967296', undefined],
  ['256.0.0.1', undefined],
  ['1.2.3.4.5', undefined],
  ['09', undefined],
  ['0xg', undefined],
  ['example.com', undefined],
  ['1.2.3.com', undefined],
  ['', undefined],
]

const dotted = (ip: number | undefined): string | undefined =>
  ip === undefined ? undefined : [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.')

t.test('IPv4 parsing follows WHATWG', async (t) => {
  for (const [host, expected] of IPV4) t.equal(dotted(parseIPv4(host)), expected, host)
})

t.test('agrees with new URL on every literal it accepts', async (t) => {
  for (const [host, expected] of IPV4) {
    if (expected === undefined) continue
    t.equal(new URL(`http://${host}/`).hostname, expected, `URL ${host}`)
  }
})

t.test('IPv6 parsing', async (t) => {
  t.same(parseIPv6('::1'), [0, 0, 0, 0, 0, 0, 0, 1])
  t.same(parseIPv6('::'), [0, 0, 0, 0, 0, 0, 0, 0])
  t.same(parseIPv6('fd00:ec2::254'), [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254])
  t.same(parseIPv6('::ffff:169.254.169.254'), [0, 0, 0, 0, 0, 0xffff, 0xa9fe, 0xa9fe])
  t.same(parseIPv6('fe80::1%eth0'), [0xfe80, 0, 0, 0, 0, 0, 0, 1])
  t.same(parseIPv6('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8])
  for (const bad of ['1::2::3', '1:2:3', '12345::', '1:2:3:4:5:6:7:8::', '::ffff:1.2.3', '::ffff:01.2.3.256', 'g::']) {
    t.equal(parseIPv6(bad), undefined, bad)
  }
})

const CLASSES: Array<[string, string]> = [
  ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['localhost', 'loopback'], ['LOCALHOST.', 'loopback'],
  ['app.localhost', 'loopback'], ['[::1]', 'loopback'], ['::1', 'loopback'], ['[::ffff:7f00:1]', 'loopback'],
  ['[::ffff:127.0.0.1]', 'loopback'], ['[0:0:0:0:0:ffff:127.0.0.1]', 'loopback'], ['127.1', 'loopback'],
  ['169.254.169.254', 'metadata'], ['169.254.169.254.', 'metadata'], ['2852039166', 'metadata'],
  ['0251.0376.0251.0376', 'metadata'], ['0xa9fea9fe', 'metadata'], ['169.254.170.2', 'metadata'],
  ['169.254.170.23', 'metadata'], ['[fd00:ec2::254]', 'metadata'], ['[::ffff:a9fe:a9fe]', 'metadata'],
  ['[64:ff9b::a9fe:a9fe]', 'metadata'], ['metadata.google.internal', 'metadata'], ['[2002:a9fe:a9fe::1]', 'metadata'],
  ['169.254.1.1', 'link-local'], ['[fe80::1]', 'link-local'], ['[febf::1]', 'link-local'],
  ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.0.1', 'private'],
  ['100.64.0.1', 'private'], ['[fd12:3456::1]', 'private'], ['[fc00::1]', 'private'], ['[::ffff:10.0.0.1]', 'private'],
  ['0.0.0.0', 'unspecified'], ['0', 'unspecified'], ['[::]', 'unspecified'], ['0.1.2.3', 'unspecified'],
  ['172.15.0.1', 'public'], ['172.32.0.1', 'public'], ['100.128.0.1', 'public'], ['8.8.8.8', 'public'],
  ['example.com', 'public'], ['[2001:db8::1]', 'public'], ['127.0.0.1.nip.io', 'public'], ['[::ffff:8.8.8.8]', 'public'],
]

t.test('destinations', async (t) => {
  for (const [host, expected] of CLASSES) t.equal(classifyDestination(host), expected, host)
})

t.test('classifies the hostname new URL gives', async (t) => {
  for (const url of ['http://[::ffff:169.254.169.254]/', 'http://0x7f.1/', 'http://[0::1]/', 'http://LocalHost./']) {
    t.not(classifyDestination(new URL(url).hostname), 'public', url)
  }
})
