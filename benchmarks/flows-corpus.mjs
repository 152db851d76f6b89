// The flowlab corpora for the flows benchmark (benchmarks/flows.mjs) and the development
// cross-check (scripts/flowlab-check.mjs): generated once by ../shared/flowlab/gen_pcap.py (or
// $FLOWLAB_DIR) into .cache/flowlab/NAME.{pcap,flows.jsonl,summary.json}, and generated again
// only when the generator or its arguments change. Neither the project's tests nor its build
// depend on this: flowlab lives outside the repository.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('..', import.meta.url))
export const cacheDir = join(root, '.cache', 'flowlab')

/** The corpora of ../shared/flowlab/README.md, by name. */
export const CORPORA = {
  small: ['--seed', '1', '--flows', '60', '--ppf', 'lognormal:36:1.2:400', '--idle-gap-frac', '0.15',
    '--ipv6-frac', '0.15', '--duration', '300', '--malformed', '16'],
  big: ['--seed', '42', '--flows', '20000', '--ppf', 'lognormal:52:1.5:20000', '--snaplen', '96',
    '--duration', '600', '--malformed', '64'],
}

export class CorpusError extends Error {}

/** Where flowlab is: $FLOWLAB_DIR, else ../shared/flowlab beside the repository. */
export function flowlabDir () {
  return resolve(process.env.FLOWLAB_DIR ?? join(root, '..', 'shared', 'flowlab'))
}

const sha256File = (file) => createHash('sha256').update(readFileSync(file)).digest('hex')

/**
 * Makes sure .cache/flowlab/NAME.* exists and is current; returns { name, pcap, prefix, summary }.
 * A corpus already generated stays usable when flowlab has gone (with a note on stderr); without
 * both, throws CorpusError saying what is missing.
 */
export function ensureCorpus (name, log = (s) => process.stderr.write(s + '\n')) {
  const args = CORPORA[name]
  if (args === undefined) throw new CorpusError(`unknown corpus ${name} (known: ${Object.keys(CORPORA).join(', ')})`)
  const prefix = join(cacheDir, name)
  const stampFile = `${prefix}.stamp.json`
  const files = [`${prefix}.pcap`, `${prefix}.flows.jsonl`, `${prefix}.summary.json`, stampFile]
  const have = files.every((f) => existsSync(f))
  const dir = flowlabDir()
  const gen = join(dir, 'gen_pcap.py')
  if (!existsSync(gen)) {
    if (have) {
      log(`flowlab: ${gen} not found (set FLOWLAB_DIR); using the corpus generated earlier in ${cacheDir}`)
      return loaded(name, prefix)
    }
    throw new CorpusError(`flowlab not found: no ${gen}. The flows benchmark and flowlab-check need flowlab's ` +
      `generator (../shared/flowlab beside the repository, or set FLOWLAB_DIR=/path/to/flowlab).`)
  }
  const stamp = { args, generator_sha256: sha256File(gen) }
  if (have) {
    try {
      if (JSON.stringify(JSON.parse(readFileSync(stampFile, 'utf8'))) === JSON.stringify(stamp)) return loaded(name, prefix)
    } catch {}
  }
  // Generate into a scratch directory, then move into place: an interrupted run leaves no
  // half-written corpus behind.
  const scratch = join(cacheDir, `.gen-${name}-${process.pid}`)
  rmSync(scratch, { recursive: true, force: true })
  mkdirSync(scratch, { recursive: true })
  try {
    log(`flowlab: generating the ${name} corpus into ${cacheDir} (python3 gen_pcap.py -o ${name}.pcap ${args.join(' ')})`)
    const t0 = Date.now()
    const res = spawnSync('python3', [gen, '-o', `${name}.pcap`, ...args], { cwd: scratch, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    if (res.error) throw new CorpusError(`flowlab: could not run python3: ${res.error.message}`)
    if (res.status !== 0) throw new CorpusError(`flowlab: gen_pcap.py failed (exit ${res.status}): ${res.stderr.trim()}`)
    for (const ext of ['pcap', 'flows.jsonl', 'summary.json']) renameSync(join(scratch, `${name}.${ext}`), `${prefix}.${ext}`)
    writeFileSync(stampFile, JSON.stringify(stamp) + '\n')
    log(`flowlab: ${res.stderr.trim()} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  return loaded(name, prefix)
}

function loaded (name, prefix) {
  const summary = JSON.parse(readFileSync(`${prefix}.summary.json`, 'utf8'))
  return { name, prefix, pcap: `${prefix}.pcap`, truth: `${prefix}.flows.jsonl`, summary }
}

/**
 * Counts the packets in a capture file: classic pcap (either byte order, µs or ns) by walking
 * the record headers, pcapng by counting Enhanced and Simple Packet Blocks.
 */
export function countPackets (file) {
  const fd = openSync(file, 'r')
  try {
    const head = Buffer.alloc(24)
    if (readSync(fd, head, 0, 24, 0) < 24) throw new Error(`${file}: too short for a capture file`)
    const magicLE = head.readUInt32LE(0)
    if (magicLE === 0x0a0d0d0a) return countPcapng(fd)
    let le
    if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) le = true
    else if (head.readUInt32BE(0) === 0xa1b2c3d4 || head.readUInt32BE(0) === 0xa1b23c4d) le = false
    else throw new Error(`${file}: not a pcap or pcapng file`)
    const CHUNK = 4 << 20
    const buf = Buffer.alloc(CHUNK)
    let pos = 24 // file offset of the next record header
    let count = 0
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, pos)
      if (n < 16) break
      let off = 0
      while (off + 16 <= n) {
        const incl = le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8)
        count++
        off += 16 + incl
      }
      pos += off // may run past this chunk: the next read starts at the next header
    }
    return count
  } finally {
    closeSync(fd)
  }
}

function countPcapng (fd) {
  const CHUNK = 4 << 20
  const buf = Buffer.alloc(CHUNK)
  let pos = 0
  let count = 0
  let le = true
  for (;;) {
    const n = readSync(fd, buf, 0, CHUNK, pos)
    if (n < 12) break
    let off = 0
    while (off + 12 <= n) {
      const type = buf.readUInt32LE(off)
      if (type === 0x0a0d0d0a) le = buf.readUInt32LE(off + 8) === 0x1a2b3c4d
      const t = le ? type : buf.readUInt32BE(off)
      const len = le ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4)
      if (len < 12) return count
      if (t === 6 || t === 3) count++
      off += len
    }
    pos += off
  }
  return count
}
