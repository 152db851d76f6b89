// A real nats-server with JetStream (Debian's nats-server, installed by scripts/setup) for one
// test: loopback only, a port it picks itself, a store directory of its own; stopped (and its
// files removed) in teardown, whatever happens. `restart()` stops it and starts it again on the
// same port and store, for outage tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

export interface NatsServer { url: string, port: number, restart: () => Promise<void>, stop: () => Promise<void> }

type Teardown = { teardown: (fn: () => unknown) => void }

export async function startNatsServer (t: Teardown): Promise<NatsServer> {
  const store = mkdtempSync(join(tmpdir(), 'sw-nats-'))
  let child: ChildProcess | undefined
  const stop = async (): Promise<void> => {
    const c = child
    child = undefined
    if (c === undefined || c.exitCode !== null) return
    const exited = new Promise((resolve) => c.once('exit', resolve))
    c.kill('SIGTERM')
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  t.teardown(async () => { await stop(); rmSync(store, { recursive: true, force: true }) })
  const launch = (port: number): Promise<number> => new Promise((resolve, reject) => {
    const c = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store], { stdio: ['ignore', 'ignore', 'pipe'] })
    child = c
    const log: string[] = []
    const timer = setTimeout(() => { c.kill('SIGKILL'); reject(new Error(`nats-server did not start in 15 s:\n${log.join('\n')}`)) }, 15_000)
    c.once('error', (err) => { clearTimeout(timer); reject(new Error(`cannot run nats-server (scripts/setup installs it): ${err.message}`)) })
    c.once('exit', (code) => { clearTimeout(timer); reject(new Error(`nats-server exited (${String(code)}):\n${log.join('\n')}`)) })
    createInterface({ input: c.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      log.push(line)
      const m = /Listening for client connections on [\d.]+:(\d+)/.exec(line)
      if (m !== null) { clearTimeout(timer); c.removeAllListeners('exit'); resolve(Number(m[1])) }
    })
  })
  const port = await launch(-1)
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop,
    restart: async () => { await stop(); await launch(port) },
  }
}
