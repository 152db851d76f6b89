/**
 * What the fs instrumentation does to a ReadStream/WriteStream so that it is reported once, as
 * the stream: Node opens the stream's file on the next tick through the stream's fs (`fs.open`,
 * which is wrapped). The stream is given an fs whose `open` is the unwrapped one; an aborted
 * stream is made with an `fs` option whose `open` fails with the abort error, so it emits
 * 'error' and never opens the file.
 *
 * Node keeps the stream's fs in a private `kFs` symbol property (lib/internal/fs/streams.js),
 * found by its description. If a Node version renames it, the stream's own open is reported as
 * a nested `open` (a second message, nothing worse).
 */
type Exports = Record<string, unknown>
type OpenCallback = (err: Error | null, fd?: number) => void

let kFs: symbol | null | undefined

function fsSymbolOf (stream: object): symbol | undefined {
  if (kFs === undefined) kFs = Object.getOwnPropertySymbols(stream).find((s) => s.description === 'kFs') ?? null
  return kFs ?? undefined
}

/** Points the stream's open at `open` when the stream uses the module `fs` itself. */
export function replaceStreamOpen (stream: object, fs: Exports, open: Function): boolean {
  const key = fsSymbolOf(stream)
  const holder = stream as unknown as Record<symbol, unknown>
  if (key === undefined || holder[key] !== fs) return false
  holder[key] = Object.create(fs, { open: { value: open, configurable: true, writable: true } })
  return true
}

/** An `open` that fails with `err`, the way fs.open reports errors. */
export function failingOpen (err: Error): (path: unknown, flags: unknown, mode: unknown, cb: OpenCallback) => void {
  return (_path, _flags, _mode, cb) => { process.nextTick(cb, err) }
}

/** The stream options (an encoding string, an object or nothing) with an `fs` whose open fails. */
export function optionsWithFailingOpen (options: unknown, fs: Exports, err: Error): Record<string, unknown> {
  const base = typeof options === 'string' ? { encoding: options } : (options !== null && typeof options === 'object' ? options : {})
  return { ...base, fs: Object.create(fs, { open: { value: failingOpen(err) } }) }
}
