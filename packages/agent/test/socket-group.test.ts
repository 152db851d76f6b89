// The unix socket's permissions: the agent's user alone by default (socket 0600 in a 0700
// directory); with --socket-group, members of that group too (0660 and 0750, the group's). Checked
// with a real connection from another user (nobody, whose group is nogroup).
import t from 'tap'
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, spawnAgent, tempDir } from './helpers/agent'

const NOGROUP = 65534

/**
 * Connects to a unix socket as nobody:nogroup; 'connected' or the error's name. Python, not Node:
 * the test runner's spawn hooks give every Node child a preload nobody may not be able to read.
 */
function connectAsNobody (path: string): Promise<string> {
  const code = 'import socket, sys\ns = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect(sys.argv[1]); print("connected")\nexcept OSError as e:\n    print(__import__("errno").errorcode.get(e.errno, str(e)))'
  const child = spawn('python3', ['-c', code, path], { uid: NOGROUP, gid: NOGROUP, cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  return new Promise((resolve) => child.once('exit', () => resolve(out.trim())))
}

t.test('0600 for the agent\'s user; with --socket-group, 0660 for that group', { skip: process.getuid?.() !== 0 ? 'needs root (to run a client as nobody)' : undefined }, async (t) => {
  const base = tempDir(t)
  chmodSync(base, 0o755) // others may walk in; the agent's own directories decide the rest
  for (const d of ['private', 'shared']) { mkdirSync(join(base, d)); chmodSync(join(base, d), 0o755) }

  const privateSock = join(base, 'private', 'run', 'agent.sock')
  const a = spawnAgent(['run', '--listen', `unix:${privateSock}`, '--sink', `jsonl:${join(base, 'private', 'a.jsonl')}`, '--capture', 'off', '--proc', 'off'])
  t.teardown(() => a.stop('SIGKILL'))
  await a.line('ready', (l) => l.msg === 'ready')
  t.equal(statSync(privateSock).mode & 0o777, 0o600)
  t.equal(statSync(join(base, 'private', 'run')).mode & 0o777, 0o700)
  t.equal(await connectAsNobody(privateSock), 'EACCES', 'another user cannot connect')

  const groupSock = join(base, 'shared', 'run', 'agent.sock')
  const b = spawnAgent(['run', '--listen', `unix:${groupSock}`, '--socket-group', 'nogroup', '--sink', `jsonl:${join(base, 'shared', 'b.jsonl')}`, '--capture', 'off', '--proc', 'off'])
  t.teardown(() => b.stop('SIGKILL'))
  await b.line('ready', (l) => l.msg === 'ready')
  t.match(statSync(groupSock), { gid: NOGROUP })
  t.equal(statSync(groupSock).mode & 0o777, 0o660)
  t.match(statSync(join(base, 'shared', 'run')), { gid: NOGROUP })
  t.equal(statSync(join(base, 'shared', 'run')).mode & 0o777, 0o750)
  t.equal(await connectAsNobody(groupSock), 'connected', 'a member of the group connects')
  t.equal((await a.stop()).code, 0)
  t.equal((await b.stop()).code, 0)
})

t.test('an unknown socket group is a clear error before anything listens', async (t) => {
  const bad = await runCli(['run', '--listen', `unix:${join(tempDir(t), 'x.sock')}`, '--socket-group', 'no-such-group-here', '--sink', 'jsonl:-'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /SW_ERR_USAGE: --socket-group: socket group "no-such-group-here" is not in \/etc\/group/)
  const odd = await runCli(['run', '--socket-group', 'a b', '--sink', 'jsonl:-'])
  t.match(odd.stderr, /is not a group name or a numeric gid/)
})
