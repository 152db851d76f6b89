// The real agent as a child process: started from the built CLI, observed through its JSON log
// lines on stderr, its sinks and its /metrics. Everything waits on a condition with a deadline.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'

export const AGENT_BIN = resolve(__dirname, '..', '..', 'bin', 'sidewatch-agent.js')
export const TOKEN = 'test-token'

type Teardown = { teardown: (fn: () => unknown) => void }
export type LogLine = Record<string, any>

export function tempDir (t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sw-agent-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * The test runner's environment without SIDEWATCH_* settings or NODE_OPTIONS (tap's loaders
 * would slow every child down and are not needed: the children run built JavaScript), plus `extra`.
 */
export function cleanEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SIDEWATCH_') && k !== 'NODE_OPTIONS') env[k] = v
  return { ...env, ...extra }
}

/** Polls `check` until it returns something other than undefined; fails after `ms`. */
export async function waitFor<T> (what: string, check: () => T | undefined | Promise<T | undefined>, ms = 10000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export class AgentProcess {
  readonly lines: LogLine[] = []
  readonly text: string[] = []
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>

  constructor (readonly child: ChildProcess) {
    if (child.stderr !== null) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        this.text.push(line)
        try { this.lines.push(JSON.parse(line) as LogLine) } catch { /* a CLI error line */ }
      })
    }
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  }

  line (what: string, match: (l: LogLine) => boolean, ms = 10000): Promise<LogLine> {
    return waitFor(`log line: ${what} (last lines: ${this.text.slice(-3).join(' | ')})`, () => this.lines.find(match), ms)
  }

  async stop (signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    return this.exited
  }
}

export interface Agent {
  proc: AgentProcess
  dir: string
  tcp: string
  unix: string
  jsonl: string
  db: string
  metrics: string
}

export interface AgentOptions {
  /** null runs without a token. */
  token?: string | null
  /** Written to DIR/config.yaml as JSON and passed with --config. */
  config?: Record<string, unknown>
  env?: Record<string, string>
  args?: string[]
  dir?: string
}

/** Starts the built agent on an ephemeral loopback port and DIR/agent.sock, with jsonl and sqlite sinks in DIR. */
export async function startAgent (t: Teardown, options: AgentOptions = {}): Promise<Agent> {
  const dir = options.dir ?? tempDir(t)
  const unix = join(dir, 'agent.sock')
  const jsonl = join(dir, 'events.jsonl')
  const db = join(dir, 'events.db')
  const args = ['run', '--listen', 'tcp://127.0.0.1:0', '--listen', `unix:${unix}`,
    '--sink', `jsonl:${jsonl}`, '--sink', `sqlite:${db}`, '--metrics', '127.0.0.1:0', '--capture', 'off', '--proc', 'off']
  const token = options.token === undefined ? TOKEN : options.token
  if (token !== null) args.push('--token', token)
  if (options.config !== undefined) {
    const file = join(dir, 'config.yaml')
    writeFileSync(file, JSON.stringify(options.config))
    args.push('--config', file)
  }
  const proc = spawnAgent([...args, ...(options.args ?? [])], options.env)
  t.teardown(() => proc.stop('SIGKILL'))
  const ready = await proc.line('ready', (l) => l.msg === 'ready')
  const metrics = await proc.line('metrics listening', (l) => l.msg === 'metrics listening')
  const tcp = (ready.addresses as string[]).find((a) => a.startsWith('tcp://')) as string
  return { proc, dir, tcp, unix: `unix:${unix}`, jsonl, db, metrics: String(metrics.address) }
}

export function spawnAgent (args: string[], env: Record<string, string> = {}): AgentProcess {
  const child = spawn(process.execPath, [AGENT_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(env) })
  return new AgentProcess(child)
}

export interface CliResult { code: number | null, stdout: string, stderr: string }

/** Several independent CLI runs at once; the results in the order given. */
export function runClis<T extends string[][]> (...runs: T): Promise<{ [K in keyof T]: CliResult }> {
  return Promise.all(runs.map((args) => runCli(args))) as Promise<{ [K in keyof T]: CliResult }>
}

/** Runs the CLI to completion. */
export function runCli (args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [AGENT_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(env) })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Complete lines of a jsonl sink file. */
export function readJsonl (file: string): LogLine[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l) as LogLine)
}

export function jsonLines (text: string): LogLine[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as LogLine)
}

export async function httpGet (address: string, path: string): Promise<{ status: number, type: string, body: string }> {
  const res = await fetch(`http://${address}${path}`)
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }
}

/** One sample of a Prometheus metric, e.g. metric(text, 'sidewatch_protocol_errors_total', { code: 'SW_ERR_AUTH' }). */
export function metric (text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (match === null || match[1] !== name) continue
    const have = (match[2] ?? '').split(',').filter((s) => s !== '')
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(match[3])
  }
  return undefined
}

/** Polls /metrics until `name{labels}` equals `value`. */
export function waitForMetric (agent: Agent, name: string, labels: Record<string, string>, value: number): Promise<number> {
  return waitFor(`${name}${JSON.stringify(labels)} = ${value}`, async () => {
    const { body } = await httpGet(agent.metrics, '/metrics')
    return metric(body, name, labels) === value ? value : undefined
  })
}
