// The fast path of fs-describe's `resolved`: a path left as given must be exactly what
// path.resolve would have made of it, for every string (seeded random paths over the characters
// that matter: slashes, dots, newlines, letters), and relative or unnormalised paths resolve.
import t from 'tap'
import { resolve } from 'node:path'
import { resolved } from '../../src/instrumentations/fs-describe'
import { randomText, seededInts } from '../helpers/seeded'

t.test('resolved() equals path.resolve on 200,000 seeded random paths', async (t) => {
  const alphabet = ['/', '/', '.', '.', 'a', 'b', '\n']
  const next = seededInts(0x5eed)
  let differ = 0
  const examples: string[] = []
  for (let i = 0; i < 200_000; i++) {
    const path = randomText(next, alphabet, 10)
    if (resolved(path) !== resolve(path)) { differ++; if (examples.length < 5) examples.push(JSON.stringify(path)) }
  }
  t.equal(differ, 0, `paths resolved differently: ${examples.join(', ')}`)
})

t.test('named cases', async (t) => {
  for (const [path, want] of [
    ['/srv/app/files/catalog.txt', '/srv/app/files/catalog.txt'],
    ['/srv/app/files/../../../etc/passwd', '/etc/passwd'],
    ['//etc/shadow', '/etc/shadow'],
    ['/etc/./shadow', '/etc/shadow'],
    ['/srv/app/', '/srv/app'],
    ['/srv/.hidden/..x', '/srv/.hidden/..x'],
    ['catalog.txt', resolve('catalog.txt')],
  ] as const) t.equal(resolved(path), want, path)
})
