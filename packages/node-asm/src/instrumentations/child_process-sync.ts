/**
 * execSync and execFileSync return only the child's stdout, so the child's pid never reaches a
 * wrapper. To report it, the SDK runs these two the way Node 20 does (lib/child_process.js, copied
 * line for line below) on top of the original spawnSync, whose result carries the pid.
 *
 * Safety: this is used only when the original function's source text is exactly the one copied
 * here (checked once, at patch time), and only for arguments Node would accept; anything else
 * goes to the original function, which then behaves (and fails) exactly as without the SDK.
 */
type SpawnSync = (file: string, args?: unknown, options?: unknown) => SpawnSyncResult
export interface SpawnSyncResult {
  pid: number
  status: number | null
  stdout: unknown
  stderr: unknown
  error?: Error
  [key: string]: unknown
}
type Options = Record<string, unknown>

const NODE_EXEC_SYNC = `function execSync(command, options) {
  const opts = normalizeExecArgs(command, options, null);
  const inheritStderr = !opts.options.stdio;

  const ret = spawnSync(opts.file, opts.options);

  if (inheritStderr && ret.stderr)
    process.stderr.write(ret.stderr);

  const err = checkExecSyncError(ret, undefined, command);

  if (err)
    throw err;

  return ret.stdout;
}`

const NODE_EXEC_FILE_SYNC = `function execFileSync(file, args, options) {
  ({ file, args, options } = normalizeExecFileArgs(file, args, options));

  const inheritStderr = !options.stdio;
  const ret = spawnSync(file, args, options);

  if (inheritStderr && ret.stderr)
    process.stderr.write(ret.stderr);

  const errArgs = [options.argv0 || file];
  ArrayPrototypePushApply(errArgs, args);
  const err = checkExecSyncError(ret, errArgs);

  if (err)
    throw err;

  return ret.stdout;
}`

/** True when `fn` is the Node function the replicas below were copied from. */
export function isKnownNodeSource (method: 'execSync' | 'execFileSync', fn: unknown): boolean {
  if (typeof fn !== 'function') return false
  try {
    return Function.prototype.toString.call(fn) === (method === 'execSync' ? NODE_EXEC_SYNC : NODE_EXEC_FILE_SYNC)
  } catch {
    return false
  }
}

/**
 * Node's execSync on `spawnSync`. `onResult` sees spawnSync's result before anything is thrown.
 * Returns `undefined` (having run nothing) when the arguments are ones Node would reject.
 */
export function execSyncVia (spawnSync: SpawnSync, command: unknown, options: unknown,
  onResult: (ret: SpawnSyncResult) => void): { value: unknown } | undefined {
  // normalizeExecArgs: validateString + validateArgumentNullCheck(command)
  if (typeof command !== 'string' || command.includes('\u0000')) return undefined
  if (typeof options === 'function') options = undefined
  const opts: Options = { ...(options as Options | undefined) }
  opts.shell = typeof opts.shell === 'string' ? opts.shell : true
  const inheritStderr = !(opts.stdio as unknown)

  const ret = spawnSync(command, opts)
  onResult(ret)

  if (inheritStderr && (ret.stderr as unknown)) process.stderr.write(ret.stderr as Uint8Array)
  const err = checkExecSyncError(ret, undefined, command)
  if (err !== undefined) throw err
  return { value: ret.stdout }
}

/** Node's execFileSync on `spawnSync`; like execSyncVia. */
export function execFileSyncVia (spawnSync: SpawnSync, file: unknown, args: unknown, options: unknown,
  onResult: (ret: SpawnSyncResult) => void): { value: unknown } | undefined {
  const n = normalizeExecFileArgs(file, args, options)
  if (n === undefined) return undefined

  const inheritStderr = !(n.options.stdio as unknown)
  const ret = spawnSync(n.file as string, n.args, n.options)
  onResult(ret)

  if (inheritStderr && (ret.stderr as unknown)) process.stderr.write(ret.stderr as Uint8Array)
  const errArgs = [(n.options.argv0 as unknown) || n.file, ...n.args]
  const err = checkExecSyncError(ret, errArgs)
  if (err !== undefined) throw err
  return { value: ret.stdout }
}

/** normalizeExecFileArgs without a callback, `undefined` where Node would throw. */
function normalizeExecFileArgs (file: unknown, args: unknown, options: unknown): { file: unknown, args: unknown[], options: Options } | undefined {
  let callback: unknown
  if (Array.isArray(args)) {
    args = args.slice()
  } else if (args != null && typeof args === 'object') {
    callback = options
    options = args
    args = null
  } else if (typeof args === 'function') {
    callback = args
    options = null
    args = null
  }
  if (args == null) args = []
  // A function in the options slot is taken as the callback, then rejected by spawnSync's
  // validateObject: leave that to Node.
  if (typeof options === 'function') return undefined
  if (options != null && (typeof options !== 'object' || Array.isArray(options))) return undefined // validateObject(options)
  if (options == null) options = Object.freeze({})
  if (callback != null && typeof callback !== 'function') return undefined // validateFunction(callback)
  const argv0 = (options as Options).argv0
  if (argv0 != null && (typeof argv0 !== 'string' || argv0.includes('\u0000'))) return undefined
  return { file, args: args as unknown[], options: options as Options }
}

function checkExecSyncError (ret: SpawnSyncResult, args: unknown[] | undefined, cmd?: string): Error | undefined {
  let err: Error | undefined
  if (ret.error) {
    err = ret.error
    Object.assign(err, ret)
  } else if (ret.status !== 0) {
    let msg = 'Command failed: '
    msg += cmd || (args ?? []).join(' ')
    const stderr = ret.stderr as { length?: number, toString(): string } | null | undefined
    if (stderr && (stderr.length ?? 0) > 0) msg += `\n${stderr.toString()}`
    err = Object.assign(new Error(msg), ret)
  }
  return err
}
