/**
 * The executables a task is expected to run, learned from what it runs in its first minutes:
 * (executable path, SHA-256) pairs seen during the learning window are the baseline; after it, a
 * process whose pair is not in the baseline and whose name or hash is not allowlisted is
 * "unexpected" (a dropped tool, a shell, a replaced binary at a known path).
 *
 * The baseline is kept in a JSON file so an agent restart neither forgets it nor starts a new
 * learning window: the window runs from `started_at` in the file. Writes are atomic (a temporary
 * file in the same directory, then rename), so a crash leaves the old file or the new one.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { basename } from 'node:path'
import { AgentError } from '../errors'

export const DEFAULT_LEARN_MS = 5 * 60 * 1000
const FILE_VERSION = 1

export interface ExeBaselineOptions {
  /** Where the baseline is kept; without it the baseline lives in memory only. */
  file?: string
  /** How long after the first start the baseline learns (ms). */
  learnMs?: number
  /** Executable file names or command names that are never unexpected (`node`, `nginx`). */
  allowNames?: Iterable<string>
  /** SHA-256 hashes (lower-case hex) that are never unexpected. */
  allowSha256?: Iterable<string>
  now?: () => number
}

export interface ExeIdentity { exe?: string, comm?: string, sha256?: string }

interface BaselineFile {
  version: number
  started_at: string
  executables: Array<{ exe: string, sha256: string | null }>
}

export class ExeBaseline {
  readonly file: string | undefined
  readonly learnMs: number
  #startedAt: number
  #known = new Set<string>()
  #entries: BaselineFile['executables'] = []
  #allowNames: Set<string>
  #allowSha256: Set<string>
  #now: () => number
  #dirty = false

  /** Loads `file` when it exists; SW_ERR_BASELINE when it is not a baseline file. */
  constructor (options: ExeBaselineOptions = {}) {
    this.file = options.file
    this.learnMs = options.learnMs ?? DEFAULT_LEARN_MS
    this.#now = options.now ?? Date.now
    this.#allowNames = new Set(options.allowNames ?? [])
    this.#allowSha256 = new Set([...options.allowSha256 ?? []].map((h) => h.toLowerCase()))
    this.#startedAt = this.#now()
    if (this.file !== undefined) this.#load(this.file)
  }

  /** Still in the learning window. */
  get learning (): boolean {
    return this.#now() < this.#startedAt + this.learnMs
  }

  get size (): number {
    return this.#entries.length
  }

  /** Records a process's executable; learned only during the window. True when it was new. */
  observe (p: ExeIdentity): boolean {
    if (p.exe === undefined || !this.learning) return false
    const key = keyOf(p.exe, p.sha256)
    if (this.#known.has(key)) return false
    this.#known.add(key)
    this.#entries.push({ exe: p.exe, sha256: p.sha256 ?? null })
    this.#dirty = true
    return true
  }

  /** Allowlisted by executable file name, command name or hash. */
  allowed (p: ExeIdentity): boolean {
    if (p.sha256 !== undefined && this.#allowSha256.has(p.sha256)) return true
    if (p.exe !== undefined && this.#allowNames.has(basename(p.exe))) return true
    return p.comm !== undefined && this.#allowNames.has(p.comm)
  }

  /**
   * Undefined while learning (nothing is unexpected yet) and when the executable is unknown
   * (a zombie); after it, true when the (exe, sha256) pair was never seen in the window and the
   * process is not allowlisted.
   */
  unexpected (p: ExeIdentity): boolean | undefined {
    if (this.learning) return undefined
    if (this.allowed(p)) return false
    if (p.exe === undefined) return undefined
    return !this.#known.has(keyOf(p.exe, p.sha256))
  }

  /** Writes the file when something was learned since the last save. */
  save (): void {
    if (this.file === undefined || !this.#dirty) return
    const body: BaselineFile = { version: FILE_VERSION, started_at: new Date(this.#startedAt).toISOString(), executables: this.#entries }
    writeAtomic(this.file, JSON.stringify(body, null, 1) + '\n')
    this.#dirty = false
  }

  #load (file: string): void {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') { this.#dirty = true; return }
      throw new AgentError('SW_ERR_BASELINE', `cannot read the executable baseline ${file}: ${(err as Error).message}`, { cause: err })
    }
    let body: Partial<BaselineFile>
    try {
      body = JSON.parse(text) as Partial<BaselineFile>
    } catch (err) {
      throw new AgentError('SW_ERR_BASELINE', `${file} is not JSON (${(err as Error).message}); expected an executable baseline written by sidewatch`, { cause: err })
    }
    const started = typeof body.started_at === 'string' ? Date.parse(body.started_at) : NaN
    if (body.version !== FILE_VERSION || Number.isNaN(started) || !Array.isArray(body.executables)) {
      throw new AgentError('SW_ERR_BASELINE', `${file} is not an executable baseline (expected {"version":${FILE_VERSION},"started_at":…,"executables":[…]})`)
    }
    this.#startedAt = started
    for (const e of body.executables) {
      if (typeof e?.exe !== 'string') continue
      const sha256 = typeof e.sha256 === 'string' ? e.sha256 : undefined
      this.#known.add(keyOf(e.exe, sha256))
      this.#entries.push({ exe: e.exe, sha256: sha256 ?? null })
    }
  }
}

function keyOf (exe: string, sha256: string | undefined): string {
  return `${exe}\0${sha256 ?? ''}`
}

/** `text` to `file` through a temporary file and rename: readers see the old or the new file, whole. */
export function writeAtomic (file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`
  const fd = openSync(temp, 'w', 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temp, file)
}
