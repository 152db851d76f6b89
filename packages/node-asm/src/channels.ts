/**
 * Every diagnostics_channel the SDK publishes on, declared once, named `sidewatch:<module>:<event>`,
 * with the payload it carries. Instrumentations only publish here; the reporter and (later) the
 * detectors only subscribe. Channels are global by name, so a second copy of the SDK, or a test,
 * can subscribe to the same ones.
 *
 * dc-polyfill returns Node's own diagnostics_channel on Node 20.20+, and fills gaps on older Nodes.
 */
import { internalError } from './warn'

const dc: typeof import('node:diagnostics_channel') = require('dc-polyfill')

/** A channel whose payload type is known. `hasSubscribers` is the cheap "is anyone listening" check. */
export interface TypedChannel<T> {
  readonly name: string
  readonly hasSubscribers: boolean
  publish (message: T): void
}

export type ChildProcessMethod = 'spawn' | 'exec' | 'execFile' | 'fork' | 'spawnSync' | 'execSync' | 'execFileSync'

/**
 * One call of a child_process function, as Node will run it. The same object is published on
 * `start` (before the call) and on `end` (after it), so a subscriber can keep per-call state on it.
 */
export interface ChildProcessContext {
  /** The child_process function the application called (the outer one for nested calls). */
  method: ChildProcessMethod
  /** The executable Node starts: with a shell, the shell (`/bin/sh` or `options.shell`). */
  file: string
  /** The executable's arguments (argv without argv[0]): with a shell, `['-c', command]`. */
  args: string[]
  /** True when the command goes through a shell (exec, execSync, `shell: true` or a shell path). */
  shell: boolean
  /** The shell's command string when `shell`, else file and args joined by spaces. */
  command_line: string
  /** `options.cwd` when given. */
  cwd?: string
  /** True for spawnSync, execSync and execFileSync. */
  sync: boolean
  /** Set before `end`: the child's pid, when the call revealed it. */
  pid?: number
  /** Set before `end` when no process was started: the error Node reported. */
  error?: Error
}

/** The table: the only place a channel name is written. */
export const CHANNEL_NAMES = {
  /** ChildProcessContext, published before the call runs. */
  childProcessStart: 'sidewatch:child_process:start',
  /**
   * The same ChildProcessContext, published once the call has a result: right after it returns
   * (with `pid` when known), when it throws, or, for an async spawn that failed, when Node emits
   * the child's 'error' (with `error`). Exactly one `end` follows each `start`.
   */
  childProcessEnd: 'sidewatch:child_process:end',
} as const

export const channels = {
  childProcessStart: dc.channel(CHANNEL_NAMES.childProcessStart) as TypedChannel<ChildProcessContext>,
  childProcessEnd: dc.channel(CHANNEL_NAMES.childProcessEnd) as TypedChannel<ChildProcessContext>,
} as const

type PayloadOf<K extends keyof typeof channels> = (typeof channels)[K] extends TypedChannel<infer T> ? T : never

/**
 * Subscribes by table key; returns the function to unsubscribe. The listener is guarded: Node
 * rethrows a subscriber's exception as an uncaught exception, which would crash the app.
 */
export function subscribe<K extends keyof typeof channels> (key: K, onMessage: (message: PayloadOf<K>) => void): () => void {
  const name = CHANNEL_NAMES[key]
  const listener = (message: unknown): void => {
    try {
      onMessage(message as PayloadOf<K>)
    } catch (err) {
      internalError(`a ${name} subscriber`, err)
    }
  }
  dc.subscribe(name, listener)
  return () => { dc.unsubscribe(name, listener) }
}
