// The fuzz harness of every package's fuzz tests (packages/*/test/fuzz-*.test.ts): fast-check
// properties over inputs made by mutating real, valid seeds (mutator.ts), each input timed and its
// allocations measured, the regression corpus replayed first.
//
// A target says what an input is (an arbitrary), how to check one (`check` throws only when the
// target broke its contract: `returnsOrThrows` tells a typed, documented error from a crash), and
// where its regression files are. Budget, from the environment:
//   (nothing)                  each target runs its own `cases`, with a seed fixed per target;
//   SIDEWATCH_FUZZ_CASES=N     each target runs N cases;
//   SIDEWATCH_FUZZ_SECONDS=S   the targets of a file share S seconds (by `weight`), any number of
//                              cases, a fresh seed (scripts/fuzz sets this);
//   SIDEWATCH_FUZZ_SEED=X      this seed instead (to reproduce a failure: the seed is printed);
//   SIDEWATCH_FUZZ_REPORT=F    append one JSON line per target to F (cases, crashes, seconds).
// A failing input is shrunk by fast-check, saved under .fuzz/crashes/<target>/ with its error
// and seed beside it, and the run goes on with the next seed (up to MAX_CRASHES distinct ones):
// a long run counts every distinct crash, not just the first.
import { createHash } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import * as fc from 'fast-check'
import type { Test } from 'tap'
import { seededInts } from '../../packages/node-asm/test/helpers/seeded'

export const ROOT = resolve(__dirname, '..', '..')
const CRASH_DIR = join(ROOT, '.fuzz', 'crashes')

/** Distinct crashes a target may find before it stops looking. */
const MAX_CRASHES = 8
/** Runs per fast-check round: a crash ends its round, the next one starts from a new seed. */
const ROUND_RUNS = 400

export interface FuzzTarget<T> {
  /** `family.function`, e.g. `proto.frame-decoder`: the crash directory and report name. */
  name: string
  arbitrary: fc.Arbitrary<T>
  /** Throws (or rejects) only when the target broke its contract (see returnsOrThrows). */
  check: (input: T) => void | Promise<void>
  /** `check` returns a promise: run it as an async property. */
  async?: boolean
  /** Cases in the default test run (keep the whole file's under ~10 s on the 2-core machine). */
  cases: number
  /** A saved crash or corpus file → an input, and back. */
  fromBytes: (bytes: Buffer) => T
  toBytes: (input: T) => Buffer
  /** The regression corpus: every file in it is checked, every run, before any fuzzing. */
  corpus?: string
  /** Share of SIDEWATCH_FUZZ_SECONDS (default 1). */
  weight?: number
  /** The longest one check may take (default 200 ms; a slow one is tried again once, for noise). */
  maxMs?: number
  /** The most one check may allocate in buffers, or grow the heap by (default 32 MiB). */
  maxAllocBytes?: number
}

/** fromBytes/toBytes for a target whose input is text (saved as UTF-8). */
export const textCodec = {
  toBytes: (text: string): Buffer => Buffer.from(text, 'utf8'),
  fromBytes: (bytes: Buffer): string => bytes.toString('utf8'),
}

/** fromBytes/toBytes for a target whose input is a JSON value (saved as its JSON). */
export function jsonCodec<T> (): { toBytes: (input: T) => Buffer, fromBytes: (bytes: Buffer) => T } {
  return {
    toBytes: (input) => Buffer.from(JSON.stringify(input) ?? 'null'),
    fromBytes: (bytes) => JSON.parse(bytes.toString('utf8')) as T,
  }
}

/** A contract broken: an unexpected error, a hang, an allocation or a failed property. */
export class FuzzFailure extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'FuzzFailure'
  }
}

/**
 * Runs `fn`: its result, or `undefined` when it threw an error `expected` accepts (the target's
 * own typed error). Any other error is a crash.
 */
export function returnsOrThrows<R> (fn: () => R, expected: (err: unknown) => boolean): { value: R } | { error: unknown } {
  try {
    return { value: fn() }
  } catch (err) {
    if (expected(err)) return { error: err }
    const e = err as Error
    throw new FuzzFailure(`unexpected ${e?.name ?? typeof err}: ${e?.message ?? String(err)}\n${(e?.stack ?? '').split('\n').slice(1, 6).join('\n')}`, { cause: err })
  }
}

/** Fails with `message` unless `ok`. */
export function holds (ok: boolean, message: string | (() => string)): void {
  if (!ok) throw new FuzzFailure(typeof message === 'string' ? message : message())
}

export interface FuzzBudget { cases: number, seconds: number, seed: number, long: boolean }

/** The budget of one target under the environment (see the file comment). */
export function budgetOf (target: { name: string, cases: number, weight?: number }, totalWeight: number): FuzzBudget {
  const env = process.env
  const seconds = Number(env.SIDEWATCH_FUZZ_SECONDS ?? '')
  const cases = Number(env.SIDEWATCH_FUZZ_CASES ?? '')
  const fixedSeed = env.SIDEWATCH_FUZZ_SEED === undefined || env.SIDEWATCH_FUZZ_SEED === '' ? undefined : Number(env.SIDEWATCH_FUZZ_SEED) >>> 0
  if (seconds > 0) {
    return { cases: Infinity, seconds: seconds * (target.weight ?? 1) / totalWeight, seed: fixedSeed ?? (Date.now() ^ nameHash(target.name)) >>> 0, long: true }
  }
  return { cases: cases > 0 ? cases : target.cases, seconds: Infinity, seed: fixedSeed ?? nameHash(target.name), long: false }
}

function nameHash (name: string): number {
  return createHash('sha256').update(name).digest().readUInt32BE(0)
}

/**
 * One tap subtest per target: the corpus replayed, then the fuzzing. Call at the top level of a
 * test file with every target of the file (the long run's seconds are shared among them).
 */
export function fuzzTargets (t: Test, targets: Array<FuzzTarget<any>>): void {
  const totalWeight = targets.reduce((sum, target) => sum + (target.weight ?? 1), 0)
  for (const target of targets) {
    const budget = budgetOf(target, totalWeight)
    t.test(target.name, { timeout: budget.long ? 0 : 120_000 }, async (t) => { await runTarget(t, target, budget) })
  }
}

async function runTarget<T> (t: Test, target: FuzzTarget<T>, budget: FuzzBudget): Promise<void> {
  const timed = timedCheck(target)
  // The regression corpus: each file once, by name, every run.
  let replayed = 0
  if (target.corpus !== undefined && existsSync(target.corpus)) {
    for (const name of readdirSync(target.corpus).sort()) {
      if (name.startsWith('.') || name.endsWith('.md')) continue
      const input = target.fromBytes(readFileSync(join(target.corpus, name)))
      try {
        await timed(input)
        replayed++
      } catch (err) {
        t.fail(`regression ${name}: ${(err as Error).message}`)
      }
    }
    t.pass(`${replayed} regression inputs`)
  }

  const started = Date.now()
  const deadline = started + budget.seconds * 1000
  const roundSeeds = seededInts(budget.seed)
  const crashes = new Map<string, string>()
  /** Inputs checked (shrinking steps included). */
  let cases = 0
  let failures = 0
  t.comment(`fuzz ${target.name}: seed ${budget.seed}${budget.long ? `, ${budget.seconds.toFixed(0)} s` : `, ${budget.cases} cases`}`)
  for (let round = 0, asked = 0; asked < budget.cases && Date.now() < deadline && crashes.size < MAX_CRASHES; round++) {
    const seed = round === 0 ? budget.seed : roundSeeds()
    const runs = Math.min(ROUND_RUNS, budget.cases - asked)
    asked += runs
    const run = (input: T): void | Promise<void> => {
      if (Date.now() > deadline) return // out of time: the rest of the round passes unrun
      cases++
      return timed(input)
    }
    const details = target.async === true
      ? await fc.check(fc.asyncProperty(target.arbitrary, async (input) => { await run(input) }), { seed, numRuns: runs })
      : fc.check(fc.property(target.arbitrary, (input) => { void run(input) }), { seed, numRuns: runs })
    if (!details.failed) continue
    failures++
    const input = details.counterexample?.[0] as T
    const err = details.errorInstance as Error
    const signature = signatureOf(err)
    if (crashes.has(signature)) continue
    const file = saveCrash(target, input, err, seed, details.counterexamplePath ?? '')
    crashes.set(signature, file)
    t.fail(`${target.name}: ${err?.message?.split('\n')[0] ?? String(err)}`, {
      diagnostic: true,
      seed,
      path: details.counterexamplePath,
      saved: file,
      reproduce: `SIDEWATCH_FUZZ_SEED=${seed} SIDEWATCH_FUZZ_CASES=${runs}`,
      input: preview(target.toBytes(input)),
      error: err?.message,
    })
  }
  const seconds = (Date.now() - started) / 1000
  if (crashes.size === 0) t.pass(`${cases} cases, no crash`)
  t.comment(`fuzz ${target.name}: ${cases} cases, ${crashes.size} distinct crashes (${failures} failing rounds), ${seconds.toFixed(1)} s, seed ${budget.seed}`)
  const report = process.env.SIDEWATCH_FUZZ_REPORT
  if (report !== undefined && report !== '') {
    appendFileSync(report, JSON.stringify({ target: target.name, cases, crashes: crashes.size, failures, seconds, seed: budget.seed, replayed, files: [...crashes.values()] }) + '\n')
  }
}

/**
 * The check, timed and with its allocations measured (a synchronous check stays synchronous, so
 * that fast-check can run it in a plain property).
 */
function timedCheck<T> (target: FuzzTarget<T>): (input: T) => void | Promise<void> {
  const maxMs = target.maxMs ?? 200
  const maxAlloc = target.maxAllocBytes ?? 32 * 1024 * 1024
  const measure = (input: T, before: NodeJS.MemoryUsage, start: bigint): number => {
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    const after = process.memoryUsage()
    const buffers = after.arrayBuffers - before.arrayBuffers
    const heap = after.heapUsed - before.heapUsed
    if (buffers > maxAlloc || heap > 4 * maxAlloc) {
      throw new FuzzFailure(`allocated ${(buffers / 1048576).toFixed(1)} MiB of buffers and ${(heap / 1048576).toFixed(1)} MiB of heap for a ${target.toBytes(input).length}-byte input (limit ${maxAlloc / 1048576} MiB)`)
    }
    return ms
  }
  const slow = (input: T, ms: number): void => {
    if (ms > maxMs) throw new FuzzFailure(`took ${ms.toFixed(0)} ms (limit ${maxMs} ms) on a ${target.toBytes(input).length}-byte input`)
  }
  if (target.async === true) {
    const once = async (input: T): Promise<number> => {
      const before = process.memoryUsage()
      const start = process.hrtime.bigint()
      await target.check(input)
      return measure(input, before, start)
    }
    // A busy machine, a GC: one more try before calling it a hang.
    return async (input) => { if (await once(input) > maxMs) slow(input, await once(input)) }
  }
  const once = (input: T): number => {
    const before = process.memoryUsage()
    const start = process.hrtime.bigint()
    void target.check(input)
    return measure(input, before, start)
  }
  return (input) => { if (once(input) > maxMs) slow(input, once(input)) }
}

/** What makes two crashes the same: the error's first line without its numbers, and where it came from. */
function signatureOf (err: Error | undefined): string {
  const first = (err?.message ?? String(err)).split('\n')[0] ?? ''
  const cause = (err as { cause?: Error } | undefined)?.cause
  const frame = (cause?.stack ?? err?.stack ?? '').split('\n').find((line) => line.includes('/src/')) ?? ''
  return `${first.replace(/\d+(\.\d+)?/g, 'N').replace(/"[^"]*"/g, 'S')} @ ${frame.replace(/:\d+:\d+\)?$/, '').trim()}`
}

function saveCrash<T> (target: FuzzTarget<T>, input: T, err: Error | undefined, seed: number, path: string): string {
  const bytes = target.toBytes(input)
  const dir = join(CRASH_DIR, target.name)
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.bin`)
  writeFileSync(file, bytes)
  writeFileSync(`${file}.txt`, `target ${target.name}\nseed ${seed}\npath ${path}\n\n${err?.stack ?? String(err)}\n${(err as { cause?: Error } | undefined)?.cause?.stack ?? ''}\n`)
  return file
}

function preview (bytes: Buffer): string {
  const printable = bytes.every((b) => b === 0x0a || b === 0x09 || (b >= 0x20 && b < 0x7f))
  const shown = printable ? JSON.stringify(bytes.toString('latin1')) : bytes.toString('hex')
  return shown.length > 600 ? `${shown.slice(0, 600)}… (${bytes.length} bytes)` : shown
}

/** Every file of a directory, sorted, as buffers (for seeds). */
export function filesIn (dir: string, filter: (name: string) => boolean = () => true): Buffer[] {
  return readdirSync(dir).filter((name) => !name.startsWith('.') && filter(name)).sort().map((name) => readFileSync(join(dir, name)))
}
