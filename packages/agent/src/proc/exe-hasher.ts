/**
 * SHA-256 of the executable a process runs, read through /proc/PID/exe: that link opens the very
 * file the process was started from, so a binary deleted or overwritten after the start hashes
 * to what is running, not to what is on disk now.
 *
 * Hashing is slow for big binaries (node is ~90 MB): results are cached by the opened file's
 * (device, inode, size, mtime), so the hundredth `sh` costs one fstat. The file is read in
 * chunks through the thread pool, hashing one chunk per turn of the event loop, and at most
 * `concurrency` files at once; a file being hashed is hashed once however many ask.
 */
import { createHash } from 'node:crypto'
import { close, closeSync, fstatSync, openSync, read } from 'node:fs'
import { promisify } from 'node:util'

const readAsync = promisify(read)

export const DEFAULT_HASH_CACHE = 4096
export const DEFAULT_HASH_MAX_BYTES = 512 * 1024 * 1024
const CHUNK = 1 << 20

export interface ExeHasherOptions {
  /** Hashes kept (least recently used dropped first). */
  cacheSize?: number
  /** Files larger than this are not hashed (the event has no sha256). */
  maxBytes?: number
  /** Files hashed at the same time. */
  concurrency?: number
}

export interface HashCounters {
  hash_cache_hits: number
  hash_cache_misses: number
  hash_bytes: number
  hash_errors: number
  hash_too_large: number
}

export class ExeHasher {
  readonly counters: HashCounters = { hash_cache_hits: 0, hash_cache_misses: 0, hash_bytes: 0, hash_errors: 0, hash_too_large: 0 }
  #cache = new Map<string, string>()
  #inFlight = new Map<string, Promise<string | undefined>>()
  #cacheSize: number
  #maxBytes: number
  #concurrency: number
  #running = 0
  #waiting: Array<() => void> = []

  constructor (options: ExeHasherOptions = {}) {
    this.#cacheSize = options.cacheSize ?? DEFAULT_HASH_CACHE
    this.#maxBytes = options.maxBytes ?? DEFAULT_HASH_MAX_BYTES
    this.#concurrency = options.concurrency ?? 2
  }

  /**
   * Opens `exePath` (a /proc/PID/exe link) now, so the file stays readable after the process
   * exits, and returns a function that hashes it. Undefined when it cannot be opened (the
   * process is gone, a kernel thread, no permission).
   */
  open (exePath: string): (() => Promise<string | undefined>) | undefined {
    let fd: number
    try {
      fd = openSync(exePath, 'r')
    } catch {
      return undefined
    }
    let key: string
    let size: number
    try {
      const st = fstatSync(fd, { bigint: true })
      key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`
      size = Number(st.size)
    } catch {
      closeSync(fd)
      return undefined
    }
    const cached = this.#cache.get(key)
    if (cached !== undefined) {
      closeSync(fd)
      this.counters.hash_cache_hits++
      this.#cache.delete(key) // most recently used last
      this.#cache.set(key, cached)
      return async () => cached
    }
    const pending = this.#inFlight.get(key)
    if (pending !== undefined) {
      closeSync(fd)
      this.counters.hash_cache_hits++
      return async () => await pending
    }
    if (size > this.#maxBytes) {
      closeSync(fd)
      this.counters.hash_too_large++
      return async () => undefined
    }
    this.counters.hash_cache_misses++
    const job = this.#hashFd(fd, key)
    this.#inFlight.set(key, job)
    void job.finally(() => this.#inFlight.delete(key))
    return async () => await job
  }

  /** How many hashes are cached. */
  get size (): number {
    return this.#cache.size
  }

  async #hashFd (fd: number, key: string): Promise<string | undefined> {
    await this.#slot()
    try {
      const hash = createHash('sha256')
      const buffer = Buffer.allocUnsafe(CHUNK)
      for (let position = 0; ;) {
        const { bytesRead } = await readAsync(fd, buffer, 0, CHUNK, position)
        if (bytesRead === 0) break
        hash.update(buffer.subarray(0, bytesRead))
        position += bytesRead
        this.counters.hash_bytes += bytesRead
      }
      const digest = hash.digest('hex')
      if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value as string)
      this.#cache.set(key, digest)
      return digest
    } catch {
      this.counters.hash_errors++
      return undefined
    } finally {
      close(fd, () => {})
      this.#release()
    }
  }

  async #slot (): Promise<void> {
    if (this.#running < this.#concurrency) { this.#running++; return }
    await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }

  #release (): void {
    const next = this.#waiting.shift()
    if (next !== undefined) next()
    else this.#running--
  }
}
