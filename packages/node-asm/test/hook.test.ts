// The loader hook: definitions are applied on enable() only, to builtins at once and to
// userland packages as they are required (require-in-the-middle), and undone by disable().
import t from 'tap'
import { Instrumentations, type InstrumentationDefinition } from '../src/hook'

const kTag = Symbol('test.patched')
type Tagged = Record<string | symbol, unknown>

function tagging (name: string, builtin: boolean, log: string[]): InstrumentationDefinition {
  return {
    name,
    builtin,
    patch (moduleExports) { log.push(`patch ${name}`); (moduleExports as Tagged)[kTag] = true },
    unpatch (moduleExports) { log.push(`unpatch ${name}`); delete (moduleExports as Tagged)[kTag] },
  }
}

t.test('a userland package is patched when required, not before enable(), not after disable()', async (t) => {
  const log: string[] = []
  const instrumentations = new Instrumentations([tagging('shimmer', false, log)])
  t.same(log, [], 'constructing does nothing')
  t.notOk((require('shimmer') as Tagged)[kTag])

  instrumentations.enable()
  t.same(log, [], 'userland: nothing until it is required')
  const shimmer = require('shimmer') as Tagged
  t.equal(shimmer[kTag], true, 'patched on require')
  t.same(log, ['patch shimmer'])

  instrumentations.disable()
  t.same(log, ['patch shimmer', 'unpatch shimmer'])
  t.notOk(shimmer[kTag], 'unpatched')
  require('shimmer')
  t.same(log, ['patch shimmer', 'unpatch shimmer'], 'the require hook is gone')
})

t.test('a builtin is patched at enable(), under both of its names', async (t) => {
  const log: string[] = []
  const instrumentations = new Instrumentations([tagging('os', true, log)])
  instrumentations.enable()
  t.same(log, ['patch os'])
  t.equal((require('node:os') as Tagged)[kTag], true)
  t.equal((require('os') as Tagged)[kTag], true)
  instrumentations.enable()
  t.same(log, ['patch os'], 'enable() is idempotent')
  instrumentations.disable()
  t.notOk((require('os') as Tagged)[kTag])
})

t.test('a definition that throws is contained', async (t) => {
  const stderr = process.stderr.write
  const lines: string[] = []
  process.stderr.write = ((s: string) => { lines.push(s); return true }) as typeof stderr
  t.teardown(() => { process.stderr.write = stderr })
  const broken: InstrumentationDefinition = { name: 'path', builtin: true, patch () { throw new Error('boom') }, unpatch () {} }
  const instrumentations = new Instrumentations([broken])
  t.doesNotThrow(() => { instrumentations.enable() })
  t.doesNotThrow(() => { instrumentations.disable() })
})
