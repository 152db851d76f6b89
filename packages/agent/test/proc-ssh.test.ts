// SSH as an attacker would use it: a real OpenSSH server started by the test, real `ssh`
// logins with and without a terminal. The scanner must report login.ssh with the user, the
// client's address and port and the terminal; the session's commands must point back to it;
// and the server must be found running and listening.
import t from 'tap'
import { ProcScanner } from '../src/proc/proc-scanner'
import { sshdBinaries } from '../src/proc/sshd-presence'
import { exited, ScanLog, spawnTracked, type Login, type StartOrExit } from './helpers/processes'
import { clientPort, SSHD, sshdMissing, startSshd } from './helpers/sshd'
import { waitFor } from './helpers/agent'

const missing = sshdMissing()
// Arguments unique to this run, so a process left by another run cannot match.
const TAG = String(Date.now() % 100000)

t.test('login.ssh for a session with a terminal and one without', { skip: missing ?? false }, async (t) => {
  const sshd = await startSshd(t)
  const log = new ScanLog(new ProcScanner())
  await log.scan()
  t.same(log.events.filter((e) => e.kind === 'login.ssh'), [], 'no login before anyone logs in')

  const withTty = sshd.login(['sleep', `20.1${TAG}`], { tty: true })
  const login = await log.until('login.ssh with a tty', (e): e is Login => e.kind === 'login.ssh' && e.login.tty !== undefined, 15000)
  const port = await waitFor('the client connection in ss', () => clientPort(withTty.pid, sshd.port))
  t.equal(login.login.user, 'root')
  t.match(login.login.tty, /^\/dev\/pts\/\d+$/)
  t.same(login.login.peer, { address: '127.0.0.1', port }, 'peer is the client end of the connection')
  const session = log.scanner.get(login.login.pid as number)
  t.match(session?.cmdline?.[0], /^sshd(-session)?: root@pts\/\d+$/, 'pid is the sshd session process')

  const sleep = await log.until('the session command', (e): e is StartOrExit => e.kind === 'process.start' && e.process.cmdline?.[1] === `20.1${TAG}`)
  t.equal(sleep.process.ssh_pid, login.login.pid, 'the command points to its SSH session')
  t.equal(sleep.process.tty, login.login.tty, 'on the session terminal')
  t.equal(sleep.process.interactive, true)

  const noTty = sshd.login(['sleep', `20.2${TAG}`])
  const plain = await log.until('login.ssh without a tty', (e): e is Login => e.kind === 'login.ssh' && e.login.pid !== login.login.pid, 15000)
  const plainPort = await waitFor('the second client connection in ss', () => clientPort(noTty.pid, sshd.port))
  t.equal(plain.login.user, 'root')
  t.equal(plain.login.tty, undefined, 'notty session')
  t.same(plain.login.peer, { address: '127.0.0.1', port: plainPort })
  const plainSleep = await log.until('the notty command', (e): e is StartOrExit => e.kind === 'process.start' && e.process.cmdline?.[1] === `20.2${TAG}`)
  t.equal(plainSleep.process.ssh_pid, plain.login.pid)
  t.equal(plainSleep.process.interactive, false)

  // One login per session however many scans, and only real sessions: the shells sshd forks
  // (titled like the session until they exec) are not logins.
  for (let i = 0; i < 5; i++) await log.scan()
  const ours = log.events.filter((e) => e.kind === 'login.ssh' && log.scanner.ancestors(e.login.pid as number).some((a) => a.pid === sshd.pid))
  t.same(ours.map((e) => e.kind === 'login.ssh' && e.login.pid), [login.login.pid, plain.login.pid], 'exactly two logins, one per session')

  const presence = log.scanner.sshd()
  t.ok(presence.running.some((r) => r.pid === sshd.pid && r.exe === SSHD), 'sshd running, by name')
  t.same(presence.listening.filter((l) => l.pid === sshd.pid), [{ pid: sshd.pid, address: '127.0.0.1', port: sshd.port }], 'and listening, on its port')
  t.ok(sshdBinaries('/').includes(SSHD), 'the binary is present')
  t.same(log.invalid, [], 'every event passes the schema')
})

t.test('a failed login is no login', { skip: missing ?? false }, async (t) => {
  const sshd = await startSshd(t)
  const log = new ScanLog(new ProcScanner())
  await log.scan()
  // A user that does not exist: sshd gets as far as `[priv]`/`[net]` and gives up.
  const attempt = spawnTracked(t, 'ssh', ['-T', '-i', `${sshd.dir}/user_key`, '-F', '/dev/null', '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-p', String(sshd.port), 'no-such-user-sw@127.0.0.1', 'true'])
  const deadline = Date.now() + 15000
  while (attempt.exitCode === null && Date.now() < deadline) { await log.scan(); await new Promise((resolve) => setTimeout(resolve, 10)) }
  t.not(await exited(attempt), 0, 'ssh failed')
  await waitFor('sshd to log the failure', () => sshd.stderr.some((l) => /Invalid user|Connection closed|Disconnected/.test(l)) ? true : undefined)
  await log.scan()
  // (Sessions of the test before may still be dying: only this server's count.)
  t.same(log.events.filter((e) => e.kind === 'login.ssh' && log.scanner.ancestors(e.login.pid as number).some((a) => a.pid === sshd.pid)), [])
  t.ok(log.events.some((e) => e.kind === 'process.start' && e.process.ppid === sshd.pid), 'the attempt\'s sshd process was seen')
  t.same(log.invalid, [])
})
