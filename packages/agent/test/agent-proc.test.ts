// The scanner in the running agent, end to end: a real shell on a pseudo-terminal becomes a
// process.start with its tty and hash, and the shipped rules raise "Terminal shell in container"
// with the process's evidence; a binary run from /tmp raises its own alert; a shell reading and
// writing a TCP connection raises "Reverse shell".
import { copyFileSync, chmodSync, readFileSync, readlinkSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { connect, createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { readJsonl, startAgent, tempDir, waitFor } from './helpers/agent'
import { spawnTracked } from './helpers/processes'

t.test('a shell on a pty and a program from /tmp: events and alerts from the running agent', async (t) => {
  const dir = tempDir(t)
  const agent = await startAgent(t, { dir, args: ['--proc', 'on'], config: { proc_interval: '50ms' } })
  await agent.proc.line('scanning', (l) => l.msg === 'scanning processes')

  // script(1) gives the shell a real pseudo-terminal; `sleep 30` keeps it running while we look.
  const script = spawnTracked(t, 'script', ['-qfc', 'sh -c "sleep 30"', '/dev/null'])
  const shell = await waitFor('the shell on a pty', () => readJsonl(agent.jsonl).find((e) =>
    e.kind === 'process.start' && e.process.comm === 'sh' && typeof e.process.tty === 'string' && e.process.tty.startsWith('/dev/pts/') && e.process.ppid === script.pid), 20_000)
  t.match(shell, { source: 'agent.proc', process: { exe: /\/(dash|bash|sh)$/, sha256: /^[0-9a-f]{64}$/ } })
  // script runs `$SHELL -c …`, which execs into `sh`, which execs into `sleep`, all one pid: a scan
  // may first catch it as $SHELL (bash), and the rule's dedup on the session then folds the later
  // `sh`. The alert must name one of that pid's process.start events.
  const idsOfShellPid = (): string[] => readJsonl(agent.jsonl)
    .filter((e) => e.kind === 'process.start' && e.process.pid === shell.process.pid).map((e) => e.id as string)
  const alert = await waitFor('the interactive-shell alert', () => {
    const ids = idsOfShellPid()
    return readJsonl(agent.jsonl).find((e) =>
      e.kind === 'alert' && e.alert.rule === 'Terminal shell in container' && (e.alert.evidence as string[]).some((id) => ids.includes(id)))
  }, 20_000)
  t.match(alert.alert, { priority: 'warning', output: new RegExp(`^Interactive shell \\w+ on ${shell.process.tty}`) })
  t.ok(alert.alert.evidence.length >= 2, 'the evidence includes the parent chain joined by the correlator')

  const tmpBinary = join(dir, 'not-sleep')
  copyFileSync('/bin/sleep', tmpBinary)
  chmodSync(tmpBinary, 0o755)
  const fromTmp = spawnTracked(t, tmpBinary, ['30'])
  const event = await waitFor('the program from the temp dir', () => readJsonl(agent.jsonl).find((e) => e.kind === 'process.start' && e.process.pid === fromTmp.pid && e.process.exe === tmpBinary), 20_000)
  t.equal(event.process.sha256, createHash('sha256').update(readFileSync(tmpBinary)).digest('hex'))
  if (tmpBinary.startsWith('/tmp/')) {
    await waitFor('the temp-dir alert', () => readJsonl(agent.jsonl).find((e) => e.kind === 'alert' && e.alert.rule === 'Executable run from a temporary directory' && e.alert.evidence.includes(event.id)), 20_000)
  }
  // A shell whose stdin and stdout are a TCP connection: the shape of a reverse shell.
  const server = createServer(() => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  t.teardown(() => socket.destroy())
  const reverse = spawnTracked(t, 'sh', ['-c', 'sleep 30'], { stdio: [socket, socket, 'ignore'] })
  const rs = await waitFor('the socket-driven shell', () => readJsonl(agent.jsonl).find((e) => e.kind === 'process.start' && e.process.pid === reverse.pid && e.process.stdio_socket === true), 20_000)
  await waitFor('the reverse-shell alert', () => readJsonl(agent.jsonl).find((e) => e.kind === 'alert' && e.alert.rule === 'Reverse shell' && e.alert.evidence.includes(rs.id)), 20_000)
  // A shell a Node app starts with pipes: its stdin and stdout are sockets too (libuv makes unix
  // socketpairs), but no network connection. Not a reverse shell.
  const piped = spawnTracked(t, 'sh', ['-c', 'sleep 30'], { stdio: ['pipe', 'pipe', 'ignore'] })
  t.match(readlinkSync(`/proc/${piped.pid}/fd/0`), /^socket:\[/, 'the piped shell\'s stdin is a socket')
  const pipedStart = await waitFor('the piped shell', () => readJsonl(agent.jsonl).find((e) => e.kind === 'process.start' && e.process.pid === piped.pid), 20_000)
  t.equal(pipedStart.process.stdio_socket, undefined, 'unix socketpairs are not a reverse shell')
  t.equal((await agent.proc.stop()).code, 0)
  const stats = readJsonl(agent.jsonl).filter((e) => e.kind === 'agent.stats' && e.stats.component === 'proc')
  t.ok(stats.length > 0 && stats[stats.length - 1]?.stats.counters.scans > 0, 'scanner counters in agent.stats')
})
