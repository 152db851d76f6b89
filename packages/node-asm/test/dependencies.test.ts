// The dependency inventory: every package the app has loaded, reported once, as a valid event.
import t from 'tap'
import { join, sep } from 'node:path'
import { readFileSync } from 'node:fs'
import { validateEvent } from '@sidewatch/proto/schema'
import type { DependencyEvent } from '@sidewatch/proto'
import { DependencyInventory, packageRoot } from '../src/dependencies'

const identity = { service: 'inventory-test', runtime: { name: 'node' as const, version: process.versions.node }, pid: process.pid }

t.test('the package root of a module file', async (t) => {
  const nm = `${sep}app${sep}node_modules${sep}`
  t.equal(packageRoot(`${nm}express${sep}lib${sep}router.js`), `${nm}express`)
  t.equal(packageRoot(`${nm}@koa${sep}router${sep}lib${sep}x.js`), `${nm}@koa${sep}router`)
  t.equal(packageRoot(`${nm}a${sep}node_modules${sep}b${sep}index.js`), `${nm}a${sep}node_modules${sep}b`, 'the innermost package')
  t.equal(packageRoot(`${sep}app${sep}server.js`), undefined, "the app's own files are not a dependency")
})

t.test('each loaded package is reported once, new ones as they load', async (t) => {
  const events: DependencyEvent[] = []
  const inventory = new DependencyInventory(identity, (e) => events.push(e))
  inventory.scan()
  const first = events.length
  t.ok(first > 0, `packages loaded so far: ${first}`)
  for (const e of events) if (validateEvent(e) !== undefined) t.fail(`invalid event ${JSON.stringify(validateEvent(e))}`)

  inventory.scan()
  t.equal(events.length, first, 'a second scan with nothing new reports nothing')

  const already = events.some((e) => e.dependency.name === 'yaml')
  require('yaml')
  inventory.scan()
  const yaml = events.filter((e) => e.dependency.name === 'yaml')
  t.equal(yaml.length, 1, 'yaml reported once')
  const expected = JSON.parse(readFileSync(join(packageRoot(require.resolve('yaml')) as string, 'package.json'), 'utf8')).version
  t.match(yaml[0], { kind: 'dependency', source: 'node-asm', service: 'inventory-test', dependency: { name: 'yaml', version: expected } })
  if (!already) t.equal(events.length, first + 1, 'only the new package')
})
