import t from 'tap'
import { posix } from 'node:path'
import type { RequestInput } from '../../src/channels'
import { detectPathTraversal } from '../../src/detectors/path-traversal'

const q = (value: string, name = 'query.name'): RequestInput => ({ name, value, source: 'query' })
const BASE = '/srv/app/public'
const joined = (value: string, inputs = [q(value)]) => {
  const path = posix.join(BASE, value)
  return detectPathTraversal(path, path, inputs, 'readFile')
}

t.test('survives path.join normalising ../ away', async (t) => {
  const f = joined('../../../../etc/passwd')
  t.equal(f?.class, 'path_traversal')
  t.equal(f?.target, '/etc/passwd')
  t.equal(f?.reason, 'readFile: input climbs 4 directories out of the app\'s directory')
  t.equal(joined('a/../b.txt'), undefined, 'stays inside')
  t.equal(joined('..hidden'), undefined)
})

t.test('the input must have reached the path', async (t) => {
  t.equal(detectPathTraversal('/srv/app/views/index.html', '/srv/app/views/index.html', [q('../../../../etc/passwd')]), undefined)
  t.equal(detectPathTraversal('/srv/app/views/x', '/srv/app/views/x', [q('..')]), undefined, 'only `..`: nothing to match')
})

t.test('raw occurrences know the base', async (t) => {
  t.ok(detectPathTraversal('/srv/app/public/../x', '/srv/app/x', [q('../x')]))
  t.equal(detectPathTraversal('/srv/app/public/../public/x', '/srv/app/public/x', [q('../public/x')]), undefined, 'out and back in')
  t.ok(detectPathTraversal('public/../../x', '/srv/x', [q('../../x')]), 'relative base')
  t.ok(detectPathTraversal('../x', '/srv/x', [q('../x')]), 'the whole path')
  t.equal(detectPathTraversal('/srv/app/public//etc/passwd', '/srv/app/public/etc/passwd', [q('/etc/passwd')]), undefined)
})

t.test('an absolute input that only begins the path proves nothing', async (t) => {
  t.equal(detectPathTraversal('/srv/app/views/index.html', '/srv/app/views/index.html', [q('/', 'query.redirect')]), undefined)
  t.equal(detectPathTraversal('/srv/app/views/index.html', '/srv/app/views/index.html', [q('/srv')]), undefined)
  t.equal(detectPathTraversal('file:///etc/passwd', '/srv/app/file:/etc/passwd', [q('file:///etc/passwd')]), undefined, 'a string is not a URL to fs')
})

t.test('absolute, file:, ~ and NUL', async (t) => {
  t.ok(detectPathTraversal('/etc/passwd', '/etc/passwd', [q('/etc/passwd')]))
  t.ok(detectPathTraversal('/etc/passwd', '/etc/passwd', [q('/etc/../etc/passwd')]), 'normalised absolute')
  t.ok(detectPathTraversal('/etc/passwd', '/etc/passwd', [q('file:///etc/passwd')]))
  t.ok(detectPathTraversal('/root/.ssh/id_rsa', '/root/.ssh/id_rsa', [q('~/.ssh/id_rsa')]))
  t.equal(detectPathTraversal('/srv/~/.ssh/id_rsa', '/srv/~/.ssh/id_rsa', [q('~/.ssh/id_rsa')]), undefined)
  t.match(detectPathTraversal('/srv/a.pdf\0.png', '/srv/a.pdf\0.png', [q('a.pdf\0.png')])?.reason, /NUL/)
})

t.test('decoded values', async (t) => {
  t.ok(joined('../../../../etc/passwd', [q('..%2f..%2f..%2f..%2fetc%2fpasswd')]))
  t.equal(joined('..%2f..%2fetc'), undefined, 'not decoded by the app: a literal name')
})
