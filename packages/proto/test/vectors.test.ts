import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { encodeMessage, ERROR_CODES, type Message } from '../src/index'
import { runCase, type VectorCase } from './vector-harness'

const vectors = JSON.parse(readFileSync(join(__dirname, '..', 'vectors', 'frames.json'), 'utf8')) as {
  number_of_tests: number, notes: Record<string, string>, cases: VectorCase[]
}

t.test('the vector file is well formed', async (t) => {
  t.equal(vectors.cases.length, vectors.number_of_tests)
  t.ok(vectors.cases.length >= 40, 'at least 40 cases')
  t.ok(vectors.cases.some((c) => c.result === 'invalid'), 'has invalid cases')
  for (const c of vectors.cases) {
    for (const f of c.flags) t.ok(f in vectors.notes, `case ${c.id}: flag ${f} is explained in notes`)
    if (c.result === 'invalid') t.ok(c.error !== undefined && c.error in ERROR_CODES, `case ${c.id} names a known error code`)
  }
})

for (const c of vectors.cases) {
  t.test(`vector ${c.id}: ${c.comment}`, async (t) => {
    const out = runCase(c)
    t.same(out.decoded, c.decoded, 'decoded messages')
    if (c.result === 'valid') {
      t.same(out.errors, [], 'no error')
      if (!c.flags.includes('gzip') && !c.flags.includes('noncanonical')) {
        const encoded = Buffer.concat((c.decoded as Message[]).map((m) => encodeMessage(m)))
        t.equal(encoded.toString('hex'), c.hex, 're-encodes byte for byte')
      }
    } else {
      t.equal(out.errors[0]?.code, c.error, 'first error code')
      if (c.field !== undefined) t.equal(out.errors[0]?.field, c.field, 'error field')
      if (c.accepted !== undefined) t.equal(out.accepted, c.accepted, 'good events in the batch are kept')
    }
  })
}

t.test('generated files are up to date', async (t) => {
  const { spawnSync } = await import('node:child_process')
  const res = spawnSync(process.execPath, [join(__dirname, '..', 'scripts', 'gen-vectors.mjs'), '--check'], { encoding: 'utf8' })
  t.equal(res.status, 0, `frames.json and event-schema.json match their sources ${res.stderr}`)
})
