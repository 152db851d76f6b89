// Starts the real agent CLI for a benchmark and resolves once its unix listener is up.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

export const root = fileURLToPath(new URL('..', import.meta.url))
export const agentBin = join(root, 'packages', 'agent', 'bin', 'sidewatch-agent.js')

export function startAgent (dir, sinks, token = 'bench', extraArgs = []) {
  const sock = join(dir, 'agent.sock')
  // BENCH_AGENT_PROF=DIR: the agent writes a CPU profile there (node --cpu-prof) when it stops.
  const prof = process.env.BENCH_AGENT_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_AGENT_PROF}`] : []
  const child = spawn(process.execPath, [...prof, agentBin, 'run', '--listen', `unix:${sock}`, '--token', token,
    ...sinks.flatMap((s) => ['--sink', s]), ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SIDEWATCH_LOG_LEVEL: 'info' } })
  return new Promise((resolve, reject) => {
    const lines = []
    createInterface({ input: child.stderr }).on('line', (line) => {
      lines.push(line)
      if (line.includes('"listening"') && line.includes('unix:')) resolve({ child, sock, token })
    })
    child.once('exit', (code) => reject(new Error(`agent exited ${code}: ${lines.join('\n')}`)))
  })
}

export function stopAgent (agent) {
  return new Promise((resolve) => { agent.child.once('exit', resolve); agent.child.kill('SIGTERM') })
}
