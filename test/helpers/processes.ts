// Real processes for the end-to-end tests: the built agent CLI and apps with the SDK preloaded.
// Everything waits on what the process says (log lines, files), with a deadline; nothing sleeps
// and hopes.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'

export const ROOT = resolve(__dirname, '..', '..')
export const AGENT_BIN = join(ROOT, 'packages', 'agent', 'bin', 'sidewatch-agent.js')
export const REGISTER_CJS = join(ROOT, 'packages', 'node-asm', 'register.js')
export const REGISTER_ESM = join(ROOT, 'packages', 'node-asm', 'register.mjs')
export const SHOP = join(ROOT, 'examples', 'shop')

export function tempDir (t: { teardown: (fn: () => void) => void }, prefix = 'sidewatch-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Polls `check` until it returns a value other than undefined, or fails after `ms`. */
export async function waitFor<T> (what: string, check: () => T | undefined | Promise<T | undefined>, ms = 15000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** A child process whose stdout or stderr JSON lines are collected as they come. */
export class Proc {
  readonly lines: Array<Record<string, unknown>> = []
  readonly text: string[] = []
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>

  constructor (readonly child: ChildProcess, jsonFrom: 'stdout' | 'stderr') {
    const stream = jsonFrom === 'stdout' ? child.stdout : child.stderr
    if (stream !== null) {
      createInterface({ input: stream }).on('line', (line) => {
        this.text.push(line)
        try { this.lines.push(JSON.parse(line) as Record<string, unknown>) } catch { /* not JSON */ }
      })
    }
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  }

  line (what: string, match: (line: Record<string, unknown>) => boolean, ms = 15000): Promise<Record<string, unknown>> {
    return waitFor(`${what} (output so far: ${this.text.slice(-5).join(' | ')})`, () => this.lines.find(match), ms)
  }

  async stop (signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    return this.exited
  }
}

export interface AgentHandle {
  proc: Proc
  unix: string
  jsonl: string
  db: string
  tcp: string
  metrics: string
}

export interface AgentOptions {
  /** Unix socket path (default DIR/agent.sock): give the old one to restart an agent in place. */
  unix?: string
  token?: string
  extra?: string[]
}

/** Starts the real agent on a unix socket and an ephemeral loopback port, with both sinks in `dir`. */
export async function startAgent (t: { teardown: (fn: () => unknown) => void }, dir: string, options: AgentOptions = {}): Promise<AgentHandle> {
  const unix = options.unix ?? join(dir, 'agent.sock')
  const jsonl = join(dir, 'events.jsonl')
  const db = join(dir, 'sidewatch.db')
  const token = options.token ?? 'e2e-token'
  const extra = options.extra ?? []
  const child = spawn(process.execPath, [AGENT_BIN, 'run',
    '--listen', `unix:${unix}`, '--listen', 'tcp://127.0.0.1:0', '--token', token,
    '--sink', `jsonl:${jsonl}`, '--sink', `sqlite:${db}`, '--metrics', '127.0.0.1:0', ...extra],
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SIDEWATCH_LOG_LEVEL: 'debug' } })
  const proc = new Proc(child, 'stderr')
  t.teardown(() => proc.stop('SIGKILL'))
  const tcpLine = await proc.line('agent tcp listener', (l) => l.msg === 'listening' && String(l.address).startsWith('tcp://'))
  await proc.line('agent unix listener', (l) => l.msg === 'listening' && String(l.address).startsWith('unix:'))
  const metricsLine = await proc.line('agent metrics listener', (l) => l.msg === 'metrics listening')
  return { proc, unix, jsonl, db, tcp: String(tcpLine.address), metrics: String(metricsLine.address) }
}

/**
 * The Node binary the apps under test run on (the SDK runs inside them): SIDEWATCH_TEST_NODE, or
 * the Node running the tests. The agent and its CLI always run on the tests' own Node.
 * The compatibility matrix (test/helpers/node-matrix.ts) passes its binaries explicitly.
 */
export function appNode (): string {
  const fromEnv = process.env.SIDEWATCH_TEST_NODE
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : process.execPath
}

export interface AppOptions {
  /** The app's Node binary (default appNode()). */
  node?: string
}

/** Starts an example app with the SDK preloaded (`-r` for .js, `--import` for .mjs). */
export async function startApp (t: { teardown: (fn: () => unknown) => void }, script: string, env: Record<string, string>, options: AppOptions = {}): Promise<{ proc: Proc, port: number }> {
  const preload = script.endsWith('.mjs') ? ['--import', REGISTER_ESM] : ['-r', REGISTER_CJS]
  const child = spawn(options.node ?? appNode(), [...preload, script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: '0', SIDEWATCH_SERVICE: 'shop', ...env },
  })
  const proc = new Proc(child, 'stdout')
  child.stderr?.on('data', (d: Buffer) => { proc.text.push(`stderr: ${d.toString()}`) })
  t.teardown(() => proc.stop('SIGKILL'))
  const ready = await proc.line('app listening', (l) => l.msg === 'shop listening')
  return { proc, port: Number(ready.port) }
}

/**
 * Runs a script on the app's Node (default appNode()) with the CommonJS preload, collecting its
 * stdout lines; for scripts that run to their end (await `proc.exited`).
 */
export function runScript (script: string, env: Record<string, string>, options: AppOptions = {}): Proc {
  const child = spawn(options.node ?? appNode(), ['-r', REGISTER_CJS, script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  child.stderr?.resume()
  return new Proc(child, 'stdout')
}

/** The events in a jsonl sink file (complete lines only). */
export function readJsonl (file: string): Array<Record<string, any>> {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l) as Record<string, any>)
}

/** Runs the agent CLI to completion (events, search, ...). */
export function agentCli (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [AGENT_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

export async function get (port: number, path: string): Promise<{ status: number, body: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`)
  return { status: res.status, body: await res.json() }
}
