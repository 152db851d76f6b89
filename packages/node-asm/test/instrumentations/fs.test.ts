// The fs instrumentation in this process: one start and one end per call the app makes, in each
// API form, nothing for the calls Node or the SDK make inside it, abort in each form, and a
// symmetric patch/unpatch.
import t, { type Test } from 'tap'
import { enableFor } from '../helpers/instrument'
import fs = require('node:fs')
import fsp = require('node:fs/promises')
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { subscribe, type FsContext } from '../../src/channels'
import { Instrumentations } from '../../src/hook'
import { fsInstrumentation, isWrapped, withoutFsReports } from '../../src/instrumentations/fs'
import { describeFsCall, numericFlags } from '../../src/instrumentations/fs-describe'

const originalReadFileSync = fs.readFileSync
const originalPromisesReadFile = fsp.readFile
const uid = process.getuid?.() ?? 0
const gid = process.getgid?.() ?? 0

/** A fresh temporary directory, removed at teardown. */
function sandbox (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'sw-fs-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

/** `f` (a file), `empty/` and `tree/a/b/file` in dir. */
function fill (dir: string): void {
  fs.writeFileSync(join(dir, 'f'), 'data')
  fs.mkdirSync(join(dir, 'empty'))
  fs.mkdirSync(join(dir, 'tree', 'a', 'b'), { recursive: true })
  fs.writeFileSync(join(dir, 'tree', 'a', 'b', 'file'), 'x')
}

type Expect = Partial<FsContext>
/** op, arguments (without callback) for a sandbox dir, what start must carry. */
const CASES: Array<[string, (d: string) => unknown[], (d: string) => Expect]> = [
  ['open', (d) => [join(d, 'f'), 'r'], (d) => ({ path: join(d, 'f'), flags: 'r' })],
  ['readFile', (d) => [join(d, 'f')], () => ({ flags: 'r' })],
  ['writeFile', (d) => [join(d, 'new'), 'x', { flag: 'wx' }], (d) => ({ path: join(d, 'new'), flags: 'wx' })],
  ['appendFile', (d) => [join(d, 'f'), 'x'], () => ({ flags: 'a' })],
  ['unlink', (d) => [join(d, 'f')], () => ({})],
  ['rm', (d) => [join(d, 'tree'), { recursive: true }], (d) => ({ path: join(d, 'tree') })],
  ['rmdir', (d) => [join(d, 'empty')], () => ({})],
  ['rename', (d) => [join(d, 'f'), join(d, 'g')], (d) => ({ dest: join(d, 'g') })],
  ['copyFile', (d) => [join(d, 'f'), join(d, 'g')], (d) => ({ dest: join(d, 'g') })],
  ['readdir', (d) => [d, { recursive: true }], (d) => ({ path: d })],
  ['mkdir', (d) => [join(d, 'x', 'y'), { recursive: true }], () => ({})],
  ['symlink', (d) => ['f', join(d, 'ln')], (d) => ({ path: 'f', dest: join(d, 'ln') })],
  ['link', (d) => [join(d, 'f'), join(d, 'hard')], (d) => ({ dest: join(d, 'hard') })],
  ['chmod', (d) => [join(d, 'f'), 0o600], () => ({})],
  ['chown', (d) => [join(d, 'f'), uid, gid], () => ({})],
  ['lchown', (d) => [join(d, 'f'), uid, gid], () => ({})],
  ['truncate', (d) => [join(d, 'f'), 1], () => ({})],
]

/** Closes what open returned (fd or FileHandle). */
async function release (value: unknown): Promise<void> {
  if (typeof value === 'number') fs.closeSync(value)
  else if (value !== null && typeof value === 'object' && 'close' in value) await (value as fsp.FileHandle).close()
}

function record (t: Test): Array<[string, FsContext, Error | undefined]> {
  const seen: Array<[string, FsContext, Error | undefined]> = []
  const offStart = subscribe('fsStart', (ctx) => { seen.push(['start', ctx, ctx.error]) })
  const offEnd = subscribe('fsEnd', (ctx) => { seen.push(['end', ctx, ctx.error]) })
  t.teardown(() => { offStart(); offEnd() })
  return seen
}

const enable = (t: Test): void => { enableFor(t, fsInstrumentation) }

t.test('describeFsCall: paths as strings, resolved, flags, dest', async (t) => {
  t.match(describeFsCall('readFile', 'sync', [Buffer.from('/tmp/ü')]), { path: '/tmp/ü', resolved: '/tmp/ü', flags: 'r' })
  t.match(describeFsCall('unlink', 'callback', [pathToFileURL('/tmp/a b')]), { path: '/tmp/a b' })
  t.match(describeFsCall('unlink', 'sync', ['rel/x']), { path: 'rel/x', resolved: resolve('rel/x') })
  t.equal(describeFsCall('readFile', 'sync', [3]), undefined, 'an fd is not a path')
  t.equal(describeFsCall('unlink', 'sync', [new URL('http://example.invalid/')]), undefined, 'a non-file URL: Node rejects it')
  t.equal(describeFsCall('stat', 'sync', ['/tmp']), undefined, 'stat is not reported')
  t.match(describeFsCall('open', 'sync', ['/x', fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC]), { flags: 'O_WRONLY|O_CREAT|O_TRUNC' })
  t.equal(numericFlags(fs.constants.O_RDONLY), 'O_RDONLY')
  t.match(describeFsCall('createWriteStream', 'stream', ['/x', 'utf8']), { flags: 'w' })
  t.match(describeFsCall('createWriteStream', 'stream', ['/x', { flags: 'a' }]), { flags: 'a' })
  t.match(describeFsCall('rename', 'promise', ['/a', Buffer.from('/b')]), { path: '/a', dest: '/b' })
})

for (const api of ['sync', 'callback', 'promise'] as const) {
  t.test(`${api}: each op published once, start then end, the same context`, async (t) => {
    enable(t)
    const seen = record(t)
    for (const [op, args, expect] of CASES) {
      const dir = sandbox(t)
      fill(dir)
      seen.length = 0
      const argv = args(dir)
      let result: unknown
      if (api === 'sync') result = (fs as unknown as Record<string, (...a: unknown[]) => unknown>)[`${op}Sync`]!(...argv)
      else if (api === 'promise') result = await (fsp as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[op]!(...argv)
      else {
        result = await new Promise((resolve, reject) => {
          (fs as unknown as Record<string, (...a: unknown[]) => void>)[op]!(...argv, (err: Error | null, value: unknown) => { err === null ? resolve(value) : reject(err) })
        })
      }
      await release(result)
      t.same(seen.map(([what, ctx]) => `${what}:${ctx.op}`), [`start:${op}`, `end:${op}`], `${api} ${op}: once, nothing nested`)
      const ctx = seen[0]?.[1]
      t.match(ctx, { op, api, path: String(argv[0]), resolved: resolve(String(argv[0])), ...expect(dir) }, `${api} ${op}: context`)
      t.equal(seen[1]?.[1], ctx, `${api} ${op}: the same object at end`)
      t.equal(seen[1]?.[2], undefined, `${api} ${op}: no error`)
    }
  })
}

t.test('failures: end carries the error, which the app still gets', async (t) => {
  enable(t)
  const seen = record(t)
  const missing = join(sandbox(t), 'missing')
  t.throws(() => fs.unlinkSync(missing), { code: 'ENOENT' })
  t.match(seen[1], ['end', { op: 'unlink' }, { code: 'ENOENT' }])
  seen.length = 0
  await t.rejects(fsp.readFile(missing), { code: 'ENOENT' })
  t.match(seen[1], ['end', { op: 'readFile', api: 'promise' }, { code: 'ENOENT' }])
  seen.length = 0
  const err = await new Promise((resolve) => fs.rename(missing, `${missing}2`, resolve))
  t.match(err, { code: 'ENOENT' })
  t.equal(seen[1]?.[2], err, 'the error passed to the callback')
  seen.length = 0
  t.throws(() => fs.readFileSync(42 as unknown as string), 'an fd call goes through unreported')
  t.throws(() => (fs.unlink as (p: unknown, cb: unknown) => void)('/x', 'not a callback'), { code: 'ERR_INVALID_ARG_TYPE' })
  t.same(seen, [], 'no path or no callback: not reported, Node validates')
})

t.test('streams: reported once (not their deferred open), end at open or error', async (t) => {
  enable(t)
  const seen = record(t)
  const dir = sandbox(t)
  fill(dir)
  seen.length = 0
  const chunks: Buffer[] = []
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(join(dir, 'f')).on('data', (c) => { chunks.push(Buffer.from(c)) }).on('close', () => { resolve() }).on('error', reject)
  })
  t.equal(Buffer.concat(chunks).toString(), 'data')
  t.same(seen.map(([w, c]) => `${w}:${c.op}:${c.api}`), ['start:createReadStream:stream', 'end:createReadStream:stream'])
  seen.length = 0
  await new Promise<void>((resolve) => { fs.createWriteStream(join(dir, 'w'), { flags: 'a' }).end('abc', () => { resolve() }) })
  t.equal(fs.readFileSync(join(dir, 'w'), 'utf8'), 'abc')
  t.match(seen.filter(([, c]) => c.op !== 'readFile').map(([, c]) => c), [{ op: 'createWriteStream', flags: 'a' }, { op: 'createWriteStream' }])
  seen.length = 0
  const err = await new Promise((resolve) => fs.createReadStream(join(dir, 'missing')).on('error', resolve))
  t.match(seen[1], ['end', { op: 'createReadStream' }, err])
})

t.test('abort: the call does not happen and fails the way its API fails', async (t) => {
  enable(t)
  const dir = sandbox(t)
  fill(dir)
  const blocked = new Error('blocked by sidewatch')
  const seen = record(t)
  const off = subscribe('fsStart', (ctx) => { if (ctx.path.endsWith('secret')) ctx.abort = blocked })
  t.teardown(off)
  const secret = join(dir, 'secret')

  t.throws(() => fs.writeFileSync(secret, 'x'), blocked, 'sync throws it')
  t.match(seen.map(([w, , e]) => [w, e]), [['start', undefined], ['end', blocked]], 'end follows with the abort error')

  let sync = true
  const cbErr = await new Promise((resolve) => { fs.writeFile(secret, 'x', resolve); sync = false })
  t.equal(cbErr, blocked, 'callback gets it')
  t.equal(sync, false, '... asynchronously')

  await t.rejects(fsp.writeFile(secret, 'x'), blocked, 'promise rejects')
  await t.rejects(fsp.open(secret, 'w'), blocked, 'fs.promises.open rejects')

  const makers: Array<() => NodeJS.EventEmitter> = [() => fs.createWriteStream(secret), () => fs.createReadStream(secret)]
  for (const make of makers) {
    const stream = make()
    let opened = false
    stream.on('open', () => { opened = true })
    t.equal(await new Promise((resolve) => stream.on('error', resolve)), blocked, 'stream emits error')
    t.equal(opened, false, 'the stream never opened')
  }
  t.equal(fs.existsSync(secret), false, 'nothing was created')

  fs.writeFileSync(join(dir, 'victim'), 'keep')
  const off2 = subscribe('fsStart', (ctx) => { if (ctx.dest?.endsWith('victim') === true) ctx.abort = blocked })
  t.teardown(off2)
  t.throws(() => fs.renameSync(join(dir, 'f'), join(dir, 'victim')), blocked, 'dest is checked too')
  t.equal(fs.readFileSync(join(dir, 'victim'), 'utf8'), 'keep')
})

t.test('rm walks the tree once; the app callback and subscribers are outside it', async (t) => {
  enable(t)
  const dir = sandbox(t)
  fill(dir)
  const seen = record(t)
  const offRead = subscribe('fsStart', () => { fs.readFileSync(__filename) }) // a subscriber using fs
  t.teardown(offRead)
  await new Promise<void>((resolve) => {
    fs.rm(join(dir, 'tree'), { recursive: true }, () => {
      fs.unlinkSync(join(dir, 'f')) // the app's own call, in rm's callback
      resolve()
    })
  })
  t.same(seen.map(([w, c]) => `${w}:${c.op}`), ['start:rm', 'end:rm', 'start:unlink', 'end:unlink'])
  seen.length = 0
  fs.mkdirSync(join(dir, 'tree2', 'a'), { recursive: true })
  seen.length = 0
  await fsp.rm(join(dir, 'tree2'), { recursive: true })
  fs.readdirSync(dir)
  t.same(seen.map(([w, c]) => `${w}:${c.op}`), ['start:rm', 'end:rm', 'start:readdir', 'end:readdir'])
  seen.length = 0
  const entries = withoutFsReports(() => fs.readdirSync(dir))
  t.same(seen, [], 'the SDK\'s own reads are not reported')
  t.same(entries, ['empty'])
})

t.test('ESM named imports see the wrappers; disable() restores every function', async (t) => {
  const instrumentations = new Instrumentations([fsInstrumentation])
  instrumentations.enable()
  instrumentations.enable()
  const esm = await import('node:fs')
  const esmPromises = await import('node:fs/promises')
  t.ok(isWrapped(fs.readFileSync))
  t.equal(esm.readFileSync, fs.readFileSync, 'import { readFileSync } from "node:fs" is the wrapper')
  t.equal(esmPromises.readFile, fsp.readFile, 'import { readFile } from "node:fs/promises" is the wrapper')
  t.equal(fs.promises, fsp)
  t.equal(fs.readFileSync.name, 'readFileSync')
  t.equal(fs.readFileSync.length, originalReadFileSync.length)
  instrumentations.disable()
  t.equal(fs.readFileSync, originalReadFileSync)
  t.equal(fsp.readFile, originalPromisesReadFile)
  t.equal(esm.readFileSync, originalReadFileSync, 'ESM bindings restored too')
  const left = [...Object.entries(fs), ...Object.entries(fsp)].filter(([, fn]) => isWrapped(fn)).map(([name]) => name)
  t.same(left, [], 'nothing left wrapped in fs or fs/promises')
})

t.test('no subscribers: nothing published, the original runs', async (t) => {
  enable(t)
  t.equal(fs.readFileSync(__filename, 'utf8'), originalReadFileSync(__filename, 'utf8'))
  t.ok(isWrapped(fs.readFileSync))
})
