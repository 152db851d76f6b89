// The scanner over the real /proc with real processes: a shell on a pseudo-terminal, binaries
// copied to a temporary directory (run, deleted while running, replaced while running), an exec
// under a known pid, processes that exit. Every event must pass the proto schema.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { validateEvent } from '@sidewatch/proto/schema'
import { readProcess } from '../src/proc/process-record'
import { ProcScanner } from '../src/proc/proc-scanner'
import { tempDir } from './helpers/agent'
import { exited, isExit, isStart, ScanLog, spawnTracked, type StartOrExit } from './helpers/processes'

const SLEEP = execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim()
const SLEEP_EXE = execFileSync('readlink', ['-f', SLEEP], { encoding: 'utf8' }).trim()
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex')

t.test('a process that starts and exits: process.start with its facts, then process.exit', async (t) => {
  const log = new ScanLog(new ProcScanner())
  await log.scan()
  const dir = tempDir(t)
  const child = spawnTracked(t, SLEEP, ['30.101'], { cwd: dir })
  const start = await log.until('process.start of sleep', isStart(child.pid, SLEEP_EXE))
  const p = start.process
  t.equal(start.source, 'agent.proc')
  t.equal(p.ppid, process.pid, 'parent is the test')
  t.equal(p.comm, 'sleep')
  t.same(p.cmdline, [SLEEP, '30.101'])
  t.equal(p.cwd, dir)
  t.equal(p.exe, SLEEP_EXE)
  t.equal(p.exe_deleted, false)
  t.equal(p.sha256, sha256(p.exe as string), 'sha256 of the executable')
  t.equal(p.uid, process.getuid?.())
  t.equal(p.gid, process.getgid?.())
  t.equal(p.user, 'root', 'user name from the process root\'s /etc/passwd')
  t.equal(p.tty, undefined, 'no controlling terminal')
  t.equal(p.interactive, false)
  t.equal(p.sid, child.pid, 'detached: its own session')
  const startedMs = Date.parse(p.start_time as string)
  t.ok(Math.abs(startedMs - Date.now()) < 5000, `start time ${p.start_time} is about now`)
  t.same(p.ancestors?.[0], { pid: process.pid, comm: readFileSync('/proc/self/comm', 'utf8').trim(), exe: process.execPath }, 'nearest ancestor first')

  const again = await log.scan()
  t.notOk(again.some((e) => e.kind === 'process.start' && e.process.pid === child.pid), 'reported once')
  child.kill('SIGKILL')
  await exited(child)
  const exit = await log.until('process.exit of sleep', isExit(child.pid))
  t.equal(exit.process.start_time, p.start_time, 'the exit names the same process (pid + start time)')
  t.equal(exit.process.sha256, p.sha256)
  t.same(log.invalid, [], 'every event passes the schema')
  const counters = log.scanner.counters()
  t.ok((counters.exited ?? 0) >= 1 && (counters.new ?? 0) >= 1 && (counters.scans ?? 0) >= 3, 'counted')
})

t.test('a shell on a pseudo-terminal is an interactive session', async (t) => {
  const log = new ScanLog(new ProcScanner())
  await log.scan()
  // script(1) makes a pty and runs the command on it as a new session, like `docker exec -it` or ssh -t.
  const script = spawnTracked(t, 'script', ['-qfc', `sh -c "${SLEEP} 30.202"`, '/dev/null'], { stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, SHELL: '/bin/sh' } })
  const sleep = await log.until('the sleep under script', (e): e is StartOrExit => e.kind === 'process.start' && e.process.cmdline?.[1] === '30.202')
  const p = sleep.process
  t.match(p.tty, /^\/dev\/pts\/\d+$/, 'tty decoded to /dev/pts/N')
  t.equal(p.interactive, true)
  t.equal(p.shell, false, 'sleep is not a shell')
  const shell = log.scanner.get(p.sid as number)
  t.ok(shell !== undefined, 'the session leader is in the table')
  t.equal(shell?.comm, 'sh', 'the session leader is the shell')
  t.equal(shell?.tty, p.tty, 'on the same terminal')
  t.ok(p.ancestors?.some((a) => a.pid === script.pid && a.comm === 'script'), 'script is in the parent chain')
  const facts = log.scanner.session(p.pid)
  t.equal(facts.interactive, true)
  const typing = log.scanner.get(facts.interactiveShellPid ?? -1)
  t.ok(typing !== undefined && ['sh', 'dash'].includes(typing.comm) && typing.tty === p.tty, 'the shell with the terminal is found up the chain')
  // The latest start of that pid: a scan may have caught it forked but not yet exec'd (still `script`).
  const shellEvent = log.events.filter(isStart(p.sid as number)).at(-1)
  t.equal(shellEvent?.process.shell, true, 'the shell is marked a shell')
  t.equal(shellEvent?.process.interactive, true)
  t.same(log.invalid, [])
})

t.test('binaries copied to a temporary directory: hashed as run, deleted, replaced', async (t) => {
  const dir = tempDir(t)
  const copy = join(dir, 'sw-copied-sleep')
  copyFileSync(SLEEP, copy)
  execFileSync('chmod', ['755', copy])
  const original = sha256(copy)
  const log = new ScanLog(new ProcScanner())
  await log.scan()

  const running = spawnTracked(t, copy, ['30.303'])
  const first = await log.until('the copied binary', isStart(running.pid, copy))
  t.equal(first.process.exe, copy)
  t.equal(first.process.sha256, original, 'hash of the copied file')
  t.equal(first.process.exe_deleted, false)

  // Deleted while running: the hash is read through /proc/PID/exe, so it is still the original.
  const deleted = spawnTracked(t, copy, ['30.304'])
  await waitForExe(deleted.pid, copy)
  rmSync(copy)
  const gone = await log.until('the deleted binary', isStart(deleted.pid, copy))
  t.equal(gone.process.exe, copy, 'path without the marker')
  t.equal(gone.process.exe_deleted, true, 'marked deleted')
  t.equal(gone.process.sha256, original, 'hashes what is running')

  // Replaced while running: another file renamed over the path. The process runs the old inode.
  writeFileSync(copy, readFileSync(SLEEP))
  execFileSync('chmod', ['755', copy])
  const before = spawnTracked(t, copy, ['30.305'])
  await waitForExe(before.pid, copy)
  const other = join(dir, 'other')
  writeFileSync(other, Buffer.concat([readFileSync(SLEEP), Buffer.from('tampered')]))
  renameSync(other, copy)
  const replaced = await log.until('the replaced binary', isStart(before.pid, copy))
  t.equal(replaced.process.sha256, original, 'the running image, not the new file')
  t.equal(replaced.process.exe_deleted, true, 'the kernel marks a replaced binary deleted too')
  t.not(sha256(copy), original)

  const counters = log.scanner.counters()
  t.ok((counters.hash_cache_hits ?? 0) >= 1, 'the same file is hashed once')
  t.ok((counters.hash_bytes ?? 0) >= readFileSync(SLEEP).length, 'bytes hashed are counted')
  t.same(log.invalid, [])
})

t.test('an exec under a known pid is reported as a new program', async (t) => {
  const log = new ScanLog(new ProcScanner())
  await log.scan()
  const dir = tempDir(t)
  const flag = join(dir, 'go')
  // The shell waits for the test's signal (a file), then execs sleep: same pid, same start time.
  const child = spawnTracked(t, 'sh', ['-c', `while [ ! -e ${flag} ]; do ${SLEEP} 0.02; done; exec ${SLEEP} 30.404`])
  const shell = await log.until('the shell', isStart(child.pid, execFileSync('readlink', ['-f', '/bin/sh'], { encoding: 'utf8' }).trim()))
  t.equal(shell.process.comm, 'sh')
  writeFileSync(flag, '')
  const execd = await log.until('the exec', (e): e is StartOrExit => isStart(child.pid)(e) && e.process.comm === 'sleep')
  t.same(execd.process.cmdline, [SLEEP, '30.404'])
  t.equal(execd.process.start_time, shell.process.start_time, 'same process')
  t.equal(execd.process.exec, true, 'marked as an exec')
  t.equal(shell.process.exec, undefined, 'the first start is not')
  t.ok((log.scanner.counters().execs ?? 0) >= 1, 'counted as an exec')
  t.same(log.invalid, [])
})

t.test('a short-lived process: seen at a 100 ms interval, a vanished pid is no error', async (t) => {
  const scanner = new ProcScanner({ intervalMs: 100 })
  const events: Array<Awaited<ReturnType<ProcScanner['scan']>>[number]> = []
  const errors: unknown[] = []
  scanner.start((batch) => events.push(...batch), (err) => errors.push(err))
  t.teardown(() => scanner.stop())
  await new Promise((resolve) => setTimeout(resolve, 300))
  const child = spawnTracked(t, SLEEP, ['0.25'])
  await exited(child)
  const deadline = Date.now() + 5000
  while (!events.some(isExit(child.pid)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  t.ok(events.some(isStart(child.pid)), 'a 250 ms process is seen')
  t.ok(events.some(isExit(child.pid)), 'and its exit')
  t.same(errors, [])
  for (const e of events) t.equal(validateEvent(e), undefined)
  t.equal(readProcess({ procRoot: '/proc', bootTimeS: 0, ticksPerSecond: 100, buffer: Buffer.alloc(4096) }, 2 ** 22 + 1).kind, 'gone', 'a pid that is not there reads as gone')
})

t.test('processes caught in the middle of an exec still get their command line', async (t) => {
  // Read mid-exec, a process shows its new executable before its new arguments. Many quick
  // execs under a fast scanner hit that window now and then.
  const scanner = new ProcScanner({ intervalMs: 5, hash: false })
  const starts: StartOrExit[] = []
  scanner.start((events) => { for (const e of events) if (e.kind === 'process.start' && e.process.comm === 'sleep') starts.push(e) })
  t.teardown(() => scanner.stop())
  const children = []
  for (let i = 0; i < 300; i++) {
    children.push(spawnTracked(t, 'sh', ['-c', `exec ${SLEEP} 0.3${String(i).padStart(3, '0')}`]))
    await new Promise((resolve) => setTimeout(resolve, 4))
  }
  await Promise.all(children.map(exited))
  await scanner.stop()
  const mine = new Set(children.map((c) => c.pid))
  const seen = starts.filter((e) => mine.has(e.process.pid))
  t.ok(seen.length > 200, `most are seen (${seen.length} of 300)`)
  // (Under load a scan may first see one after it ended: a zombie has neither executable nor arguments.)
  t.same(seen.filter((e) => e.process.exe !== undefined && e.process.cmdline?.length !== 2).map((e) => e.process.cmdline), [], 'every one with its arguments')
})

t.test('a proc root that is not one is SW_ERR_PROC', async (t) => {
  const dir = tempDir(t)
  t.throws(() => new ProcScanner({ procRoot: dir }), { code: 'SW_ERR_PROC' })
})

/** Waits until the kernel shows `pid` running `exe` (it has exec'd), before the file is touched. */
async function waitForExe (pid: number, exe: string): Promise<void> {
  const deadline = Date.now() + 5000
  for (;;) {
    try { if (execFileSync('readlink', [`/proc/${pid}/exe`], { encoding: 'utf8' }).trim() === exe) return } catch {}
    if (Date.now() > deadline) throw new Error(`pid ${pid} never ran ${exe}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
