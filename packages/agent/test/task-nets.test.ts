// Task address ranges and the address text the flow records print.
import t from 'tap'
import { formatIPv4, formatIPv6, parseIP } from '../src/net/ip-text'
import { DEFAULT_TASK_NETS, TaskNets } from '../src/net/task-nets'

t.test('IPv6 text is canonical (RFC 5952)', async (t) => {
  const cases: Array<[string, string]> = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['FD00:A9FE:AA00::0100', 'fd00:a9fe:aa00::100'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ]
  for (const [input, want] of cases) {
    const bytes = parseIP(input)
    t.ok(bytes, input)
    if (bytes !== undefined) t.equal(formatIPv6(bytes, 0), want, input)
  }
  // Against the WHATWG URL serializer (RFC 5952 too, but IPv4-mapped addresses in hex), on
  // addresses full of zero runs of every length and place.
  let seed = 3
  const random = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32 }
  for (let n = 0; n < 2000; n++) {
    const bytes = new Uint8Array(16)
    for (let g = 0; g < 8; g++) if (random() < 0.4) { const v = Math.floor(random() * 65536); bytes[2 * g] = v >> 8; bytes[2 * g + 1] = v & 0xff }
    const text = formatIPv6(bytes, 0)
    if (text.startsWith('::ffff:') && text.includes('.')) continue
    const want = new URL(`http://[${text}]/`).hostname.slice(1, -1)
    if (text !== want) { t.equal(text, want, 'as the URL serializer writes it'); break }
    t.same(parseIP(text), bytes)
  }
  t.equal(formatIPv4(Uint8Array.from([192, 0, 2, 255]), 0), '192.0.2.255')
  for (const bad of ['1.2.3', '1.2.3.256', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9', '']) t.equal(parseIP(bad), undefined, JSON.stringify(bad))
})

t.test('ranges: v4 and v6 CIDRs, single addresses, prefix edges', async (t) => {
  const nets = new TaskNets(['169.254.170.0/24', 'fd00:a9fe:aa00::/64', '192.0.2.7', '10.0.0.0/9'])
  t.ok(nets.contains('169.254.170.2'))
  t.notOk(nets.contains('169.254.171.2'))
  t.ok(nets.contains('fd00:a9fe:aa00::100'))
  t.notOk(nets.contains('fd00:a9fe:aa01::100'))
  t.ok(nets.contains('192.0.2.7'))
  t.notOk(nets.contains('192.0.2.8'))
  t.ok(nets.contains('10.127.255.255'))
  t.notOk(nets.contains('10.128.0.0'))
  t.notOk(nets.contains('not an address'))
  t.throws(() => new TaskNets(['10.0.0.0/33']), { code: 'SW_ERR_USAGE', message: /--task-net "10.0.0.0\/33"/ })
  t.throws(() => new TaskNets(['eni-1']), { code: 'SW_ERR_USAGE' })
})

t.test('the default ranges: what a task ENI is numbered from', async (t) => {
  const nets = new TaskNets(DEFAULT_TASK_NETS)
  for (const inside of ['10.1.2.3', '172.31.0.9', '192.168.1.1', '169.254.170.2', '100.64.0.1', '127.0.0.1', '::1', 'fd00::1', 'fe80::1']) t.ok(nets.contains(inside), inside)
  for (const outside of ['198.51.100.7', '203.0.113.9', '172.32.0.1', '2001:db8::1', '8.8.8.8']) t.notOk(nets.contains(outside), outside)
})
