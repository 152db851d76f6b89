// Inputs for the fuzz tests: real, valid seeds (the project's own vectors, capture files, rule
// files, CloudTrail records) changed by a short list of mutations, as fast-check arbitraries. The
// mutations are data (fast-check shrinks a failing input to the fewest, smallest of them), the
// bytes they write come from the shared seeded generator. The operations are AFL's: bit flips,
// "interesting" integers (0, -1, 0x7f.., 0x80.., lengths ± 1) in both byte orders, deletions,
// insertions, copies of a range, splices with another seed, dictionary tokens, and a havoc burst.
import * as fc from 'fast-check'
import { seededInts } from '../../packages/node-asm/test/helpers/seeded'

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40, 0x64, 0x0a, 0x22, 0x5c]
const INTERESTING_32 = [0, 1, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 1 << 20, (1 << 20) + 1, 64 << 20, 0x0a0d0d0a, 0x1a2b3c4d, 0xa1b2c3d4]

/** One mutation: what, where (a fraction of the input, 0..0xffff), how long, and a value. */
export interface Mutation { op: number, at: number, len: number, value: number }

const OPS = 11
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.nat({ max: OPS - 1 }),
  at: fc.nat({ max: 0xffff }),
  len: fc.nat({ max: 64 }),
  value: fc.nat({ max: 0xffffffff }),
})

export interface MutateOptions {
  /** Tokens worth inserting or overwriting with (keywords, magic numbers, delimiters). */
  dictionary?: ReadonlyArray<string | Buffer>
  /** The most mutations per input (default 6). */
  maxMutations?: number
  /** Inputs are cut to this many bytes (default 1 MiB). */
  maxBytes?: number
}

/** Apply `mutations` to a copy of `seed`; `others` are spliced from. */
export function mutate (seed: Buffer, mutations: readonly Mutation[], others: readonly Buffer[], options: MutateOptions = {}): Buffer {
  let b = Buffer.from(seed)
  const dictionary = (options.dictionary ?? []).map((d) => typeof d === 'string' ? Buffer.from(d, 'utf8') : d)
  const maxBytes = options.maxBytes ?? 1024 * 1024
  for (const m of mutations) {
    const pos = Math.floor(m.at / 0x10000 * (b.length + 1))
    const end = Math.min(b.length, pos + Math.max(1, m.len))
    switch (m.op) {
      case 0: // flip a bit
        if (pos < b.length) b[pos] = (b[pos] as number) ^ (1 << (m.value & 7))
        break
      case 1: // an interesting byte
        if (pos < b.length) b[pos] = INTERESTING_8[m.value % INTERESTING_8.length] as number
        break
      case 2: { // an interesting 16- or 32-bit integer, either byte order, or a nearby length
        const width = (m.value & 1) === 0 ? 4 : 2
        if (pos + width > b.length) break
        let v = (m.value >>> 8) % 3 === 0 ? b.length - pos + ((m.value >>> 12) % 9) - 4 : INTERESTING_32[(m.value >>> 2) % INTERESTING_32.length] as number
        v = width === 4 ? v >>> 0 : v & 0xffff
        if ((m.value & 2) === 0) { if (width === 4) b.writeUInt32BE(v, pos); else b.writeUInt16BE(v, pos) } else if (width === 4) b.writeUInt32LE(v, pos); else b.writeUInt16LE(v, pos)
        break
      }
      case 3: // delete a range
        b = Buffer.concat([b.subarray(0, pos), b.subarray(end)])
        break
      case 4: { // insert random bytes
        const next = seededInts(m.value)
        const bytes = Buffer.alloc(Math.max(1, m.len))
        for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 0xff
        b = Buffer.concat([b.subarray(0, pos), bytes, b.subarray(pos)])
        break
      }
      case 5: { // copy a range elsewhere (repeats a record, a field, a nesting level)
        const piece = Buffer.from(b.subarray(pos, end))
        const to = m.value % (b.length + 1)
        b = Buffer.concat([b.subarray(0, to), piece, b.subarray(to)])
        break
      }
      case 6: { // splice: this seed's head, another's tail
        const other = others[m.value % Math.max(1, others.length)]
        if (other === undefined || other.length === 0) break
        const from = (m.value >>> 8) % other.length
        b = Buffer.concat([b.subarray(0, pos), other.subarray(from)])
        break
      }
      case 7: // insert a dictionary token
      case 8: { // overwrite with one
        const token = dictionary[m.value % Math.max(1, dictionary.length)]
        if (token === undefined) break
        b = m.op === 7 ? Buffer.concat([b.subarray(0, pos), token, b.subarray(pos)]) : Buffer.concat([b.subarray(0, pos), token, b.subarray(Math.min(b.length, pos + token.length))])
        break
      }
      case 9: // truncate
        b = b.subarray(0, pos)
        break
      default: { // havoc: a burst of random byte writes
        const next = seededInts(m.value)
        for (let n = 1 + (m.len % 16); n > 0 && b.length > 0; n--) b[next() % b.length] = next() & 0xff
        break
      }
    }
    if (b.length > maxBytes) b = b.subarray(0, maxBytes)
  }
  return b
}

/**
 * Mutated seeds as bytes: mostly 0..maxMutations mutations of one seed, sometimes random bytes
 * (which also reach the paths no seed starts on).
 */
export function mutatedBytes (seeds: readonly Buffer[], options: MutateOptions = {}): fc.Arbitrary<Buffer> {
  if (seeds.length === 0) throw new Error('mutatedBytes needs at least one seed')
  const fromSeed = fc.record({
    seed: fc.nat({ max: seeds.length - 1 }),
    mutations: fc.array(mutationArb, { maxLength: options.maxMutations ?? 6 }),
  }).map(({ seed, mutations }) => mutate(seeds[seed] as Buffer, mutations, seeds, options))
  const random = fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a))
  return fc.oneof({ weight: 12, arbitrary: fromSeed }, { weight: 1, arbitrary: random })
}

/** The same for text formats: mutated as UTF-8 bytes, read back as text (bad sequences become U+FFFD). */
export function mutatedText (seeds: readonly string[], options: MutateOptions = {}): fc.Arbitrary<string> {
  return mutatedBytes(seeds.map((s) => Buffer.from(s, 'utf8')), options).map((b) => b.toString('utf8'))
}

/** Cut points for feeding `length` bytes in pieces: sorted, distinct, inside (0, length). */
export function cutsOf (length: number, seed: number, pieces: number): number[] {
  const next = seededInts(seed)
  const cuts = new Set<number>()
  for (let i = 0; i < pieces && length > 1; i++) cuts.add(1 + next() % (length - 1))
  return [...cuts].sort((a, b) => a - b)
}

/** `bytes` cut at `cuts`. */
export function piecesOf (bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const ends = [...cuts, bytes.length]
  return ends.map((end, i) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end))
}
