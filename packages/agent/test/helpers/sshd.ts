// A real OpenSSH server for the login tests (Debian openssh-server): on 127.0.0.1 and a free
// port, with a throwaway host key, user key, authorized_keys and config in a temporary
// directory, root allowed by key only. The server and its clients are killed and the directory
// removed at teardown, whatever happened.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { tempDir, waitFor } from './agent'
import { killDescendants } from './processes'

type Teardown = { teardown: (fn: () => unknown) => void }

export const SSHD = '/usr/sbin/sshd'

export interface Sshd {
  port: number
  pid: number
  dir: string
  stderr: string[]
  /** `ssh root@127.0.0.1 COMMAND...` with the throwaway key; `tty` adds -tt (a pty on the server). */
  login: (command: string[], options?: { tty?: boolean }) => ChildProcess & { pid: number }
}

/** Why the test cannot run here, or undefined when it can. */
export function sshdMissing (): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (Debian package openssh-server, listed in scripts/system-packages.txt)`
  try { execFileSync('ssh', ['-V'], { stdio: 'ignore' }) } catch { return 'ssh is not installed (Debian package openssh-client)' }
  if (process.getuid?.() !== 0) return 'sshd must be started as root'
  return undefined
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

export async function startSshd (t: Teardown): Promise<Sshd> {
  const dir = tempDir(t)
  const key = (name: string): void => { execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sidewatch-test', '-f', join(dir, name)]) }
  key('host_key')
  key('user_key')
  execFileSync('cp', [join(dir, 'user_key.pub'), join(dir, 'authorized_keys')])
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }) // the privilege separation directory
  const port = await freePort()
  const config = join(dir, 'sshd_config')
  writeFileSync(config, [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PrintMotd no',
    'UseDNS no',
    '',
  ].join('\n'))
  const server = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  if (server.pid === undefined) throw new Error(`could not start ${SSHD}`)
  const serverPid = server.pid
  server.on('error', () => {})
  // Sessions run in sessions of their own and outlive the server: end them first, while they are
  // still its descendants, then the server.
  t.teardown(() => {
    killDescendants(serverPid)
    try { process.kill(serverPid, 'SIGKILL') } catch {}
  })
  const stderr: string[] = []
  server.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(...chunk.split('\n').filter((l) => l !== '')))
  await waitFor(`sshd listening on ${port} (stderr: ${stderr.join(' | ')})`, () => {
    if (server.exitCode !== null) throw new Error(`sshd exited ${server.exitCode}: ${stderr.join(' | ')}`)
    return stderr.some((l) => l.includes('Server listening')) ? true : undefined
  })
  return {
    port,
    pid: serverPid,
    dir,
    stderr,
    login: (command, options = {}) => {
      const client = spawn('ssh', [
        ...(options.tty === true ? ['-tt'] : ['-T']),
        '-i', join(dir, 'user_key'), '-F', '/dev/null',
        '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR',
        '-p', String(port), 'root@127.0.0.1', ...command,
      ], { stdio: ['pipe', 'ignore', 'ignore'] })
      if (client.pid === undefined) throw new Error('could not start ssh')
      const clientPid = client.pid
      client.on('error', () => {})
      // The session's commands first: once the client is gone a notty session's command is
      // orphaned (reparented to pid 1) and no longer found under the server.
      t.teardown(() => {
        killDescendants(serverPid)
        try { process.kill(clientPid, 'SIGKILL') } catch {}
      })
      return client as ChildProcess & { pid: number }
    },
  }
}

/** The local port of `pid`'s established connection to 127.0.0.1:`port`, from ss(8) (independent of the code under test). */
export function clientPort (pid: number, port: number): number | undefined {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' })
  for (const line of out.split('\n')) {
    if (!line.includes(`pid=${pid},`)) continue
    const local = line.trim().split(/\s+/)[2]
    const m = /:(\d+)$/.exec(local ?? '')
    if (m !== null) return Number(m[1])
  }
  return undefined
}
