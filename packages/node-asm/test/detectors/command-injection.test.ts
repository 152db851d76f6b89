import t from 'tap'
import type { RequestInput } from '../../src/channels'
import { detectCommandInjection } from '../../src/detectors/command-injection'

const q = (value: string, name = 'query.x'): RequestInput => ({ name, value, source: 'query' })

t.test('the input chooses the program', async (t) => {
  const f = detectCommandInjection('/bin/sh', [], [q('/bin/sh')])
  t.equal(f?.class, 'command_injection')
  t.equal(f?.target, '/bin/sh')
  t.ok(detectCommandInjection('/opt/tools/nc', [], [q('nc')]), 'the last path segment')
  t.ok(detectCommandInjection('/opt/tools/../../bin/sh', [], [q('../../bin/sh')]))
  t.equal(detectCommandInjection('/usr/bin/convert', [], [q('vert')]), undefined, 'part of a name is not a choice')
})

t.test('options', async (t) => {
  t.match(detectCommandInjection('git', ['ls-remote', '--upload-pack=id'], [q('--upload-pack=id')])?.reason, /option/)
  t.equal(detectCommandInjection('git', ['checkout', '--', '-f'], [q('-f')]), undefined, 'after --')
  t.equal(detectCommandInjection('convert', ['-rotate', '-90'], [q('-90')]), undefined, 'negative number')
  t.equal(detectCommandInjection('cat', ['-'], [q('-')]), undefined, 'stdin')
  t.equal(detectCommandInjection('git', ['log', '--grep=-x'], [q('-x')]), undefined, 'inside the app\'s own option')
})

t.test('interpreter code', async (t) => {
  t.ok(detectCommandInjection('timeout', ['5', '/bin/sh -c id'], [q('/bin/sh -c id')]))
  t.ok(detectCommandInjection('python3', ['-c', 'print("");import os;("")'], [q('");import os;("')]))
  t.equal(detectCommandInjection('python3', ['-c', 'print(42)'], [q('42')]), undefined)
  t.equal(detectCommandInjection('python3', ['/srv/app/x.py', 'a;b'], [q('a;b')]), undefined, 'a script argument is not code')
  t.equal(detectCommandInjection('grep', ['sh -x'], [q('sh -x')]), undefined, 'no code flag')
})

t.test('a shell with -c gets the shell analysis', async (t) => {
  const f = detectCommandInjection('/bin/bash', ['-lc', 'ping -c1 x;id'], [q('x;id')])
  t.equal(f?.class, 'shell_injection')
  t.equal(f?.target, '/bin/bash -c ping -c1 x;id')
  t.equal(detectCommandInjection('sh', ['-c', "echo 'x;id'"], [q('x;id')]), undefined)
  t.equal(detectCommandInjection('sh', ['script.sh', 'x;id'], [q('x;id')]), undefined, 'no -c: an argument to a script')
})
