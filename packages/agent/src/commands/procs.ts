/**
 * `sidewatch-agent procs`: the process scanner on its own. Prints process.start, process.exit and
 * login.ssh events as JSON lines on stdout: with --once the processes running now, then exits;
 * otherwise what changes, scan after scan, until interrupted.
 */
import { writeSync } from 'node:fs'
import { AgentError } from '../errors'
import { ExeBaseline } from '../proc/exe-baseline'
import { DEFAULT_INTERVAL_MS, ProcScanner } from '../proc/proc-scanner'
import type { ProcEvent } from '../proc/process-events'
import { parseCommandArgs, positiveInt } from './args'

export const PROCS_USAGE = `Usage: sidewatch-agent procs [--once] [--interval MS] [--proc-root DIR] [--no-hash]
                            [--baseline FILE] [--learn S]

Scans /proc and prints one event per line (the sidewatch event schema):

  {"id":"…","ts":"…","source":"agent.proc","kind":"process.start","process":{"pid":412,"ppid":1,
   "comm":"sh","start_time":"…","sid":412,"exe":"/usr/bin/dash","exe_deleted":false,"sha256":"…",
   "cmdline":["sh"],"cwd":"/","uid":0,"gid":0,"user":"root","tty":"/dev/pts/0","interactive":true,…}}

process.exit when a process is gone, login.ssh for each SSH session of a running sshd.
  --once           print the processes running now and exit
  --interval MS    time between scans (default ${DEFAULT_INTERVAL_MS})
  --proc-root DIR  the proc file system to read (default /proc)
  --no-hash        do not hash executables (no sha256)
  --baseline FILE  learn executables into FILE (kept across runs) and mark later ones "unexpected"
  --learn S        the baseline's learning window in seconds (default 300)
`

export const PROCS_OPTIONS = {
  once: { type: 'boolean' },
  interval: { type: 'string' },
  'proc-root': { type: 'string' },
  'no-hash': { type: 'boolean' },
  baseline: { type: 'string' },
  learn: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function procsCommand (argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('procs', { args: argv, options: PROCS_OPTIONS })
  if (values.help === true) { process.stdout.write(PROCS_USAGE); return }
  if (values.learn !== undefined && values.baseline === undefined) throw new AgentError('SW_ERR_USAGE', '--learn needs --baseline FILE (see sidewatch-agent procs --help)')
  const intervalMs = values.interval === undefined ? DEFAULT_INTERVAL_MS : positiveInt('procs', 'interval', values.interval)
  const baseline = values.baseline === undefined
    ? undefined
    : new ExeBaseline({ file: values.baseline, ...(values.learn === undefined ? {} : { learnMs: positiveInt('procs', 'learn', values.learn) * 1000 }) })
  const scanner = new ProcScanner({
    intervalMs,
    hash: values['no-hash'] !== true,
    ...(values['proc-root'] === undefined ? {} : { procRoot: values['proc-root'] }),
    ...(baseline === undefined ? {} : { baseline }),
  })
  if (values.once === true) {
    print(await scanner.scan())
    return
  }
  await new Promise<void>((resolve, reject) => {
    const stop = (): void => { scanner.stop().then(resolve, reject) }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    scanner.start(print, (err) => { void scanner.stop(); reject(err) })
  })
}

function print (events: ProcEvent[]): void {
  if (events.length === 0) return
  const data = Buffer.from(events.map((e) => JSON.stringify(e) + '\n').join(''))
  for (let at = 0; at < data.length;) {
    try {
      at += writeSync(1, data, at)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue
      throw err
    }
  }
}
