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
  /**
   * Set by a `start` subscriber (a detector in block mode) to stop the call before it happens:
   * the instrumentation then fails the call with this error, the way that API reports errors.
   */
  abort?: Error
}

/** Where a request input came from. */
export type InputSource = 'query' | 'path' | 'params' | 'body' | 'headers' | 'cookies'

/** One value an attacker controls, flattened: `query.name`, `body.user.email`, `headers.x-forwarded-for`. */
export interface RequestInput {
  name: string
  value: string
  source: InputSource
}

/**
 * The incoming request being served, kept in AsyncLocalStorage for the calls it causes.
 * Frameworks add inputs as they parse them (route params, bodies), so detectors read `inputs`
 * at the time of the sink call.
 */
export interface RequestContext {
  /** Unique per request; stamped on every event as `request_id`. */
  id: string
  method: string
  /** Path and query as received. */
  url: string
  /** The route template when a framework knows it (`/users/:id`). */
  route?: string
  client?: { address: string, port: number }
  local?: { address: string, port: number }
  userAgent?: string
  inputs: RequestInput[]
  /** Set once the SDK has answered 403 for this request (block mode). */
  blocked?: boolean
  /**
   * Set when something this request did was reported on its own (an attack, a child process, a
   * sensitive file, a reported outbound call): its `http.request` event is then sent too, so the
   * events join, instead of being only counted in `http.summary`.
   */
  notable?: boolean
}

/** `http.server:start` / `:finish`: one incoming request (http, https, http2 compat). */
export interface HttpServerContext {
  request: RequestContext
  /** The Node request and response objects (IncomingMessage / ServerResponse). */
  req: unknown
  res: unknown
  /** performance.now() when the request arrived. */
  startedAt: number
  /** Set before `finish`. */
  status?: number
  durationMs?: number
}

/** `http.client:start` / `:end`: one outbound request (http(s).request/get, undici, fetch). */
export interface HttpClientContext {
  /** `http`, `https`, `undici`, `fetch`. */
  api: string
  method: string
  /** The full URL as the request will be made. */
  url: string
  host: string
  port?: number
  /** Set before `end`. */
  status?: number
  error?: Error
  local?: { address: string, port: number }
  remote?: { address: string, port: number }
  /** True when the request went out on a connection no earlier request we saw had used. */
  newConnection?: boolean
  durationMs?: number
  /** Set by a `start` subscriber to stop the request: it fails with this error. */
  abort?: Error
  /** Set by a `start` subscriber that found request input turning this call into an attack. */
  attack?: string
}

export type FsApi = 'callback' | 'sync' | 'promise' | 'stream'

/** `fs:start` / `:end`: one file-system call. */
export interface FsContext {
  /** The fs function: `readFile`, `open`, `createReadStream`, `unlink`, `rename`, ... */
  op: string
  api: FsApi
  /** The path as given (string, Buffer or URL turned into a string). */
  path: string
  /** The path resolved against the working directory. */
  resolved: string
  /** Second path of rename, copyFile, symlink, link. */
  dest?: string
  flags?: string
  /** Set before `end` when the call failed. */
  error?: Error
  /** Set by a `start` subscriber to stop the call: it fails with this error. */
  abort?: Error
  /** Set by a `start` subscriber that found request input turning this call into an attack. */
  attack?: string
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
  /** HttpServerContext, published when a request arrives, inside its AsyncLocalStorage scope. */
  httpServerStart: 'sidewatch:http.server:start',
  /** The same HttpServerContext, when the response has finished or the connection closed. */
  httpServerFinish: 'sidewatch:http.server:finish',
  /** HttpClientContext, before an outbound request is sent. */
  httpClientStart: 'sidewatch:http.client:start',
  /** The same HttpClientContext, once the response headers arrived or the request failed. */
  httpClientEnd: 'sidewatch:http.client:end',
  /** FsContext, before a file-system call. */
  fsStart: 'sidewatch:fs:start',
  /** The same FsContext, after it (sync: on return or throw; async: when it completes). */
  fsEnd: 'sidewatch:fs:end',
} as const

export const channels = {
  childProcessStart: dc.channel(CHANNEL_NAMES.childProcessStart) as TypedChannel<ChildProcessContext>,
  childProcessEnd: dc.channel(CHANNEL_NAMES.childProcessEnd) as TypedChannel<ChildProcessContext>,
  httpServerStart: dc.channel(CHANNEL_NAMES.httpServerStart) as TypedChannel<HttpServerContext>,
  httpServerFinish: dc.channel(CHANNEL_NAMES.httpServerFinish) as TypedChannel<HttpServerContext>,
  httpClientStart: dc.channel(CHANNEL_NAMES.httpClientStart) as TypedChannel<HttpClientContext>,
  httpClientEnd: dc.channel(CHANNEL_NAMES.httpClientEnd) as TypedChannel<HttpClientContext>,
  fsStart: dc.channel(CHANNEL_NAMES.fsStart) as TypedChannel<FsContext>,
  fsEnd: dc.channel(CHANNEL_NAMES.fsEnd) as TypedChannel<FsContext>,
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

/**
 * Publishes `message` when someone listens. An exception on the way is counted and never reaches
 * the application (the `subscribe()` wrapper already guards our own listeners).
 */
export function publishSafely<T> (channel: TypedChannel<T>, message: T): void {
  if (!channel.hasSubscribers) return
  try {
    channel.publish(message)
  } catch (err) {
    internalError(`publishing on ${channel.name}`, err)
  }
}
