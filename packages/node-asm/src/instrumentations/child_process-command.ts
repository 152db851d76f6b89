/**
 * What a child_process call will run, computed from its arguments the way Node's
 * lib/child_process.js does (normalizeSpawnArguments, normalizeExecArgs, normalizeExecFileArgs,
 * fork) — without validating or throwing: arguments Node would reject give `undefined`, and the
 * call then goes through unreported, failing exactly as it would without the SDK.
 */
import { fileURLToPath } from 'node:url'
import type { ChildProcessContext, ChildProcessMethod } from '../channels'

export type CallDescription = Omit<ChildProcessContext, 'pid' | 'error'>
type Options = Record<string, unknown>

export function describeCall (method: ChildProcessMethod, a: ArrayLike<unknown>): CallDescription | undefined {
  const sync = method.endsWith('Sync')
  let run: Omit<CallDescription, 'method' | 'sync'> | undefined
  switch (method) {
    case 'spawn':
    case 'spawnSync':
    case 'execFile':
    case 'execFileSync':
      run = spawnCommand(a[0], a[1], a[2])
      break
    case 'exec':
    case 'execSync': {
      // normalizeExecArgs: a shallow copy of options with `shell` forced on unless it is a string.
      const options: Options = { ...(typeof a[1] === 'function' ? undefined : a[1] as Options | undefined) }
      options.shell = typeof options.shell === 'string' ? options.shell : true
      run = spawnCommand(a[0], undefined, options)
      break
    }
    case 'fork':
      run = forkCommand(a[0], a[1], a[2])
      break
  }
  return run === undefined ? undefined : { method, sync, ...run }
}

function spawnCommand (file: unknown, args: unknown, options: unknown): Omit<CallDescription, 'method' | 'sync'> | undefined {
  if (typeof file !== 'string' || file.length === 0) return undefined
  let argv: unknown[]
  if (Array.isArray(args)) argv = args
  else if (args == null) argv = []
  else if (typeof args === 'object') { options = args; argv = [] } else if (typeof args === 'function') argv = []
  else return undefined
  const opts: Options = options !== null && typeof options === 'object' ? options as Options : {}
  const cwd = pathText(opts.cwd)
  const shell = opts.shell
  const strings = argv.map(text)
  if (shell !== undefined && shell !== null && shell !== false && shell !== '' && shell !== true && typeof shell !== 'string') return undefined
  if (shell === true || (typeof shell === 'string' && shell !== '')) {
    const command = [file, ...argv].join(' ')
    const shellFile = typeof shell === 'string' ? shell : defaultShell()
    const shellArgs = process.platform === 'win32' && /^(?:.*\\)?cmd(?:\.exe)?$/i.test(shellFile)
      ? ['/d', '/s', '/c', `"${command}"`]
      : ['-c', command]
    return { file: shellFile, args: shellArgs, shell: true, command_line: command, ...(cwd === undefined ? {} : { cwd }) }
  }
  return { file, args: strings, shell: false, command_line: [file, ...strings].join(' '), ...(cwd === undefined ? {} : { cwd }) }
}

function forkCommand (modulePath: unknown, args: unknown, options: unknown): Omit<CallDescription, 'method' | 'sync'> | undefined {
  const path = pathText(modulePath)
  if (path === undefined) return undefined
  let argv: unknown[]
  if (args == null) argv = []
  else if (typeof args === 'object' && !Array.isArray(args)) { options = args; argv = [] } else if (Array.isArray(args)) argv = args
  else return undefined
  const opts: Options = options !== null && typeof options === 'object' ? options as Options : {}
  const execPath = typeof opts.execPath === 'string' && opts.execPath !== '' ? opts.execPath : process.execPath
  let execArgv = Array.isArray(opts.execArgv) ? opts.execArgv as unknown[] : process.execArgv
  const evalText = (process as { _eval?: unknown })._eval
  if (execArgv === process.execArgv && evalText != null) {
    // Node drops `-e <script>` so a forked child does not re-run it.
    const index = execArgv.lastIndexOf(evalText)
    if (index > 0) execArgv = [...execArgv.slice(0, index - 1), ...execArgv.slice(index + 1)]
  }
  const strings = [...execArgv, path, ...argv].map(text)
  const cwd = pathText(opts.cwd)
  return { file: execPath, args: strings, shell: false, command_line: [execPath, ...strings].join(' '), ...(cwd === undefined ? {} : { cwd }) }
}

function defaultShell (): string {
  if (process.platform === 'win32') return process.env.comspec ?? 'cmd.exe'
  return process.platform === 'android' ? '/system/bin/sh' : '/bin/sh'
}

/** A path option as Node accepts it: string, Buffer or file: URL. */
function pathText (value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (Buffer.isBuffer(value)) return value.toString()
  if (value instanceof URL) {
    try { return fileURLToPath(value) } catch { return undefined }
  }
  return undefined
}

function text (value: unknown): string {
  return value === null || value === undefined ? '' : String(value)
}
