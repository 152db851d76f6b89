import t from 'tap'
import type { RequestInput } from '../../src/channels'
import { detectSsrf } from '../../src/detectors/ssrf'

const q = (value: string, name = 'query.url'): RequestInput => ({ name, value, source: 'query' })

t.test('user URL to an internal address', async (t) => {
  const f = detectSsrf('http://127.0.0.1/admin', [q('http://127.0.0.1/admin')])
  t.equal(f?.class, 'ssrf')
  t.equal(f?.reason, 'input chooses the host of a request to a loopback address (127.0.0.1)')
  t.ok(detectSsrf('http://2852039166/', [q('http://2852039166/')]), 'raw text, not normalised')
  t.ok(detectSsrf('http://169.254.169.254/', [q('http://2852039166/')]), 'normalised by the caller')
  t.ok(detectSsrf('http://169.254.169.254/', [q('0xa9fea9fe')]), 'a bare host spelled differently')
})

t.test('URLs the caller did not normalise', async (t) => {
  t.match(detectSsrf('http://%31%32%37.0.0.1/', [q('http://%31%32%37.0.0.1/')])?.reason, /loopback address \(127\.0\.0\.1\)/, 'percent-escaped host')
  t.match(detectSsrf('http://[::ffff:169.254.169.254]/', [q('[::ffff:169.254.169.254]')])?.reason, /metadata/, 'IPv6 as written')
  t.match(detectSsrf('http://LOCALHOST:8080/', [q('LOCALHOST')])?.reason, /loopback/)
  t.ok(detectSsrf('http://169.254.169.254/', [q('169.254.169.254.:80')]), 'a bare host with trailing dot and port')
  t.equal(detectSsrf('http://169.254.169.254/', [q('s:abc.def')]), undefined, 'not a port: not a host')
})

t.test('public destinations fire only when the input picks the host or domain', async (t) => {
  t.match(detectSsrf('https://evil.example/x', [q('https://evil.example/x')])?.reason, /chooses the destination host/)
  t.ok(detectSsrf('https://api.example.com.evil.example/', [q('.evil.example')]))
  t.equal(detectSsrf('https://acme.tenant.example.com/', [q('acme')]), undefined, 'a subdomain label')
  t.equal(detectSsrf('https://api.example.com/', [q('example.com')]), undefined, 'after the app\'s own dot')
  const host: RequestInput = { name: 'headers.host', value: 'shop.example.com', source: 'headers' }
  t.equal(detectSsrf('https://shop.example.com/api/cart', [host]), undefined, 'the app calls its own public name')
  t.ok(detectSsrf('http://localhost:3000/api', [{ ...host, value: 'localhost:3000' }]), 'a Host header steering to loopback')
})

t.test('host structure on internal addresses', async (t) => {
  t.ok(detectSsrf('http://127.0.0.1:6379/', [q('127.0.0.1:6379')]))
  t.ok(detectSsrf('https://api.example.com@169.254.169.254/', [q('@169.254.169.254')]), 'userinfo trick')
  t.equal(detectSsrf('http://10.0.0.5/health', [q('5')]), undefined, 'one octet')
  t.equal(detectSsrf('http://127.0.0.1:9000/log?ip=127.0.0.1', [q('127.0.0.1')]), undefined, 'also echoed outside the host')
})

t.test('no input involved', async (t) => {
  t.equal(detectSsrf('http://169.254.170.2/v2/credentials', [q('zzz')]), undefined)
  t.equal(detectSsrf('http://169.254.170.2/v2/credentials', []), undefined)
  t.equal(detectSsrf('https://api.example.com/items/127.0.0.1', [q('127.0.0.1')]), undefined, 'in the path')
  t.equal(detectSsrf('not a url', [q('not')]), undefined)
  t.equal(detectSsrf('file:///etc/passwd', [q('/etc/passwd')]), undefined, 'no host')
})
