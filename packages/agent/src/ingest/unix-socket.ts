/**
 * Unix socket paths: the directory is created private (0700), a socket file left by a dead agent
 * is removed, and a socket another agent still listens on is refused rather than stolen.
 */
import { createConnection } from 'node:net'
import { chmod, chown, lstat, mkdir, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { AgentError } from '../errors'
import type { Logger } from '../log'

export async function prepareSocketPath (path: string, log: Logger, gid?: number): Promise<void> {
  // A directory made here is private, or, with a socket group, traversable by that group alone.
  const made = await mkdir(dirname(path), { recursive: true, mode: gid === undefined ? 0o700 : 0o750 })
  if (made !== undefined && gid !== undefined) {
    await chown(dirname(path), -1, gid).catch((err: Error) => {
      throw new AgentError('SW_ERR_LISTEN_FAILED', `cannot give ${dirname(path)} to group ${gid}: ${err.message}`, { cause: err })
    })
    await chmod(dirname(path), 0o750) // mkdir's mode is masked by the umask
  }
  let stats
  try {
    stats = await lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (!stats.isSocket()) {
    throw new AgentError('SW_ERR_LISTEN_FAILED', `${path} exists and is not a socket; refusing to replace it`)
  }
  if (await someoneListens(path)) {
    throw new AgentError('SW_ERR_LISTEN_FAILED', `another agent is listening on ${path}; stop it or choose another --listen path`)
  }
  await unlink(path).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
  log.info({ path }, 'removed stale socket')
}

function someoneListens (path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createConnection({ path })
    probe.once('connect', () => { probe.destroy(); resolve(true) })
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false)
      else reject(new AgentError('SW_ERR_LISTEN_FAILED', `cannot check socket ${path}: ${err.message}`, { cause: err }))
    })
  })
}
