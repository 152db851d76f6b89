/**
 * `jsonl:FILE` and `jsonl:-`: one JSON event per line. Lines are buffered in memory and written
 * in one append at least every FLUSH_INTERVAL_MS, when the buffer passes MAX_BUFFER_BYTES, and
 * on close. Events given as their JSON (the spool's records, a collector's request) are written
 * as they are, not parsed and serialised again.
 */
import { open, type FileHandle } from 'node:fs/promises'
import type { SidewatchEvent } from '@sidewatch/proto'
import { AgentError } from '../errors'
import { FLUSH_INTERVAL_MS, type RawBatch, type Sink, type SinkContext } from './sink'

const MAX_BUFFER_BYTES = 256 * 1024

type Output = { write: (data: string | Buffer) => Promise<void>, close: () => Promise<void> }
const NEWLINE = Buffer.from('\n')

export class JsonlSink implements Sink {
  readonly name: string
  #out: Output
  #ctx: SinkContext
  /** Lines as text, or as JSON bytes each followed by NEWLINE. */
  #lines: Array<string | Buffer> = []
  #bytes = 0
  /** Writes are chained so lines reach the file in the order they were taken. */
  #chain: Promise<void> = Promise.resolve()
  #timer: NodeJS.Timeout
  #closed = false

  private constructor (name: string, out: Output, ctx: SinkContext) {
    this.name = name
    this.#out = out
    this.#ctx = ctx
    this.#timer = setInterval(() => {
      if (this.#lines.length > 0) this.flush().catch((err) => this.#ctx.onError(this.name, err))
    }, FLUSH_INTERVAL_MS).unref()
  }

  static async open (path: string, ctx: SinkContext): Promise<JsonlSink> {
    if (path === '-') return new JsonlSink('jsonl:-', stdoutOutput(), ctx)
    let handle: FileHandle
    try {
      handle = await open(path, 'a', 0o640)
    } catch (err) {
      throw new AgentError('SW_ERR_SINK', `cannot open jsonl sink file ${path}: ${(err as Error).message}`, { cause: err })
    }
    return new JsonlSink(`jsonl:${path}`, {
      write: async (data) => { await handle.appendFile(data) },
      close: () => handle.close(),
    }, ctx)
  }

  async write (events: readonly SidewatchEvent[]): Promise<void> {
    if (this.#closed) throw new AgentError('SW_ERR_SINK', `${this.name} is closed`)
    for (const event of events) {
      const line = JSON.stringify(event) + '\n'
      this.#lines.push(line)
      this.#bytes += line.length
    }
    // A full buffer is written before the batch counts as taken: a disk slower than the
    // clients slows the clients (their connections wait) instead of growing memory.
    if (this.#bytes >= MAX_BUFFER_BYTES) await this.flush()
  }

  /** The events' JSON as it is, a line each. Kept (not copied) until the flush that writes it, which a spool's pump waits for. */
  async writeRaw ({ json }: RawBatch): Promise<void> {
    if (this.#closed) throw new AgentError('SW_ERR_SINK', `${this.name} is closed`)
    for (const line of json) {
      this.#lines.push(line, NEWLINE)
      this.#bytes += line.length + 1
    }
    if (this.#bytes >= MAX_BUFFER_BYTES) await this.flush()
  }

  flush (): Promise<void> {
    if (this.#lines.length > 0) {
      const lines = this.#lines
      const data = lines.every((l) => typeof l === 'string') ? lines.join('') : Buffer.concat(lines.map((l) => typeof l === 'string' ? Buffer.from(l) : l))
      this.#lines = []
      this.#bytes = 0
      this.#chain = this.#chain.catch(() => {}).then(() => this.#out.write(data))
    }
    return this.#chain
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    try {
      await this.flush()
    } finally {
      await this.#out.close()
    }
  }
}

function stdoutOutput (): Output {
  return {
    write: (data) => new Promise((resolve, reject) => {
      process.stdout.write(data, (err) => { if (err == null) resolve(); else reject(err) })
    }),
    // stdout belongs to the process; leave it open.
    close: async () => {},
  }
}
