/**
 * Runs a fixture app in its own node process, with the SDK preloaded the way users do it
 * (`-r register.js`, `--import register.mjs`, or not at all), and collects its output and exit.
 * The fixtures load the built SDK (dist/), so a stale build is refused with a clear message.
 */
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const PACKAGE = resolve(__dirname, '..', '..')
export const FIXTURES = join(PACKAGE, 'test', 'fixtures')
export const REGISTER_CJS = join(PACKAGE, 'register.js')
export const REGISTER_ESM = join(PACKAGE, 'register.mjs')

export interface RunOptions {
  preload?: 'require' | 'import' | 'none'
  args?: string[]
  env?: Record<string, string>
  /** Kill the app after this long (a failure, reported as signal SIGKILL). */
  timeoutMs?: number
  /** Send `signal` to the app once its stdout contains `stdout`. */
  signalOn?: { stdout: string, signal: NodeJS.Signals }
}

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Wall time from spawn to exit. */
  ms: number
  pid: number
}

export function runFixture (script: string, options: RunOptions = {}): Promise<RunResult> {
  assertBuilt()
  const preload = options.preload ?? 'require'
  const nodeArgs = preload === 'require' ? ['-r', REGISTER_CJS] : preload === 'import' ? ['--import', REGISTER_ESM] : []
  const started = Date.now()
  const child = spawn(process.execPath, [...nodeArgs, join(FIXTURES, script), ...(options.args ?? [])], {
    cwd: FIXTURES,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...cleanEnv(), ...options.env },
  })
  let stdout = ''
  let stderr = ''
  let signalled = false
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
    const on = options.signalOn
    if (on !== undefined && !signalled && stdout.includes(on.stdout)) { signalled = true; child.kill(on.signal) }
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20000)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, pid: child.pid ?? -1 })
    })
  })
}

/** The test runner's environment without what would leak into the app: tap's loaders, SIDEWATCH_*. */
function cleanEnv (): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key === 'NODE_OPTIONS' || key.startsWith('SIDEWATCH_') || key.startsWith('TAP') ||
      key.startsWith('_TAPJS') || key.startsWith('TS_NODE') || key === 'NODE_V8_COVERAGE') continue
    env[key] = value
  }
  return env
}

let built = false
function assertBuilt (): void {
  if (built) return
  const newest = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
    const path = join(dir, e.name)
    return Math.max(max, e.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }, 0)
  // tsc -b touches only its .tsbuildinfo when a rebuild changes no output.
  let dist = 0
  try {
    statSync(join(PACKAGE, 'dist', 'index.js'))
    dist = statSync(join(PACKAGE, 'tsconfig.tsbuildinfo')).mtimeMs
  } catch { /* not built */ }
  if (dist < newest(join(PACKAGE, 'src'))) {
    throw new Error('packages/node-asm/dist is missing or older than src/: run `npx tsc -b packages/node-asm` first')
  }
  built = true
}
