/**
 * What a child_process call returns when block mode stopped it before any process was made: the
 * error travels the way that API reports a failure to start (Node's own ENOENT paths):
 * - spawnSync: a result object with `error` (it never throws for a failed start);
 * - execSync, execFileSync: thrown;
 * - exec, execFile: passed to the callback on the next tick, and a ChildProcess is returned;
 * - spawn, fork: a ChildProcess that emits 'error' then 'close' on the next tick.
 * The ChildProcess has ended stdio streams, so code that reads `child.stdout` keeps working.
 */
import { ChildProcess } from 'node:child_process'
import { PassThrough } from 'node:stream'
import type { ChildProcessMethod } from '../channels'

export function blockedResult (method: ChildProcessMethod, args: IArguments, abort: Error): unknown {
  switch (method) {
    case 'spawnSync':
      return { pid: 0, output: null, stdout: null, stderr: null, status: null, signal: null, error: abort }
    case 'execSync':
    case 'execFileSync':
      throw abort
    case 'exec':
    case 'execFile': {
      const callback = [...args].reverse().find((a) => typeof a === 'function') as ((err: Error, stdout: string, stderr: string) => void) | undefined
      const child = deadChild()
      process.nextTick(() => {
        if (callback !== undefined) callback(abort, '', '')
        child.emit('close', null, null)
      })
      return child
    }
    default: {
      const child = deadChild()
      process.nextTick(() => {
        child.emit('error', abort)
        child.emit('close', null, null)
      })
      return child
    }
  }
}

function deadChild (): ChildProcess {
  const child = new ChildProcess()
  const ended = (): PassThrough => { const s = new PassThrough(); s.end(); return s }
  const [stdin, stdout, stderr] = [ended(), ended(), ended()]
  Object.assign(child, { stdin, stdout, stderr, stdio: [stdin, stdout, stderr] })
  return child
}
