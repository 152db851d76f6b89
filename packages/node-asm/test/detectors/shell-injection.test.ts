import t from 'tap'
import type { RequestInput } from '../../src/channels'
import { detectShellInjection } from '../../src/detectors/shell-injection'

const q = (value: string, name = 'query.x'): RequestInput => ({ name, value, source: 'query' })

t.test('fires on structure, names the input', async (t) => {
  const f = detectShellInjection('ping -c1 1.1.1.1;id', [q('1'), q('1.1.1.1;id', 'query.host')])
  t.equal(f?.class, 'shell_injection')
  t.equal(f?.input.name, 'query.host')
  t.equal(f?.target, 'ping -c1 1.1.1.1;id')
  t.match(f?.reason, /operator ";"/)
})

t.test('data inside quotes does not fire', async (t) => {
  t.equal(detectShellInjection("echo 'a;b|c$(d)'", [q('a;b|c$(d)')]), undefined)
  t.equal(detectShellInjection(`echo 'it'\\''s'`, [q("it's")]), undefined, 'not a substring once shell-quoted')
  t.equal(detectShellInjection('echo "a b"', [q('a b')]), undefined)
  t.equal(detectShellInjection('echo "a"', [q('"a"')]), undefined, 'a quote pair wholly inside the input')
})

t.test('every occurrence is checked', async (t) => {
  // The first `x` is the app's; the second is where the input broke out.
  t.ok(detectShellInjection("echo x 'a' ; x'", [q("; x'")]))
  t.ok(detectShellInjection('grep ab ab|id', [q('ab|id')]))
})

t.test('quote escapes and unterminated quotes', async (t) => {
  t.ok(detectShellInjection('echo "a\\" > /tmp/x', [q('a\\')]), 'backslash escapes the closing quote')
  t.ok(detectShellInjection("echo 'a", [q("'a")]), 'opens a quote that never closes')
  t.equal(detectShellInjection('echo a\\;b', [q('a\\;b')]), undefined, 'an escaped operator is data')
})

t.test('word count and command position', async (t) => {
  t.match(detectShellInjection('ls -la /tmp /etc', [q('/tmp /etc')])?.reason, /several shell words/)
  t.match(detectShellInjection('id', [q('id')])?.reason, /the command/)
  t.equal(detectShellInjection('which id', [q('id')]), undefined)
  t.equal(detectShellInjection('ls foo ', [q('foo ')]), undefined, 'a trailing blank adds no word')
})

t.test('decoded forms of the value', async (t) => {
  t.ok(detectShellInjection('ping x;id', [q('x%3Bid')]), 'the app decoded %3B')
  t.ok(detectShellInjection('ping x;id', [q('x%253Bid')]), 'the app decoded twice')
  t.equal(detectShellInjection('ping x%3Bid', [q('x%3Bid')]), undefined, 'not decoded: data')
  t.equal(detectShellInjection('ping x', [q('%zz')]), undefined, 'malformed escapes are kept as they are')
})

t.test('empty and absent inputs', async (t) => {
  t.equal(detectShellInjection('ls; id', []), undefined)
  t.equal(detectShellInjection('ls; id', [q('')]), undefined)
  t.equal(detectShellInjection('ls; id', [q('zzz')]), undefined)
})
