/**
 * Joins events across sources before the rules see them, so that a rule can ask about the
 * process behind a flow or the parent of a shell, and an alert carries the evidence of every
 * layer:
 *
 * - process.start builds a table of the task's processes by pid (exe, hash, user, parent), kept a
 *   while after process.exit for late joins; every event about a process gets it and its parent
 *   chain as context (`proc.pname`, `proc.pexe`, `proc.aname` in conditions).
 * - net.flow: its owning process (pid from the socket) is looked up in that table, and the flow
 *   gains the executable's hash when the flow source did not know it.
 * - http.client (SDK) ↔ net.flow by the 5-tuple (the call's local and remote endpoints against
 *   the flow's local end) within the flow's lifetime, whichever arrives second.
 * - process.exec (SDK) ↔ process.start by pid, whichever arrives second.
 * - attack → the request (request_id) and the process it spawned: an exec in the same request,
 *   and that exec's process.start.
 *
 * All state is bounded (entries expire; each table has a size cap) and keyed by event time.
 */
import type { AnyEvent } from './fields'

/** Where the joined context hangs on an event (a symbol: never serialised with it). */
export const CONTEXT = Symbol('sidewatch.context')

export interface ProcessInfo {
  pid: number
  ppid?: number
  exe?: string
  name?: string
  sha256?: string
  user?: string
  tty?: string
  cmdline?: string
  event_id: string
}

export interface JoinedContext {
  /** The process the event is about, when known. */
  process?: ProcessInfo
  /** Its parent, grandparent, ... (up to 8). */
  parents?: ProcessInfo[]
  flow?: { event_id: string, src: string, sport: number, dst: string, dport: number, src_bytes: number, dst_bytes: number }
  http_client?: { event_id: string, url: string }
  exec?: { event_id: string, command_line: string, request_id?: string }
  process_start?: { event_id: string }
  attack?: { event_id: string, class: string, input: string }
  /** Ids of every event joined. */
  related: string[]
}

export interface CorrelatorOptions {
  /** How long joinable events are remembered (ms of event time; default 10 minutes). */
  ttlMs?: number
  /** Entries per table (default 50,000). */
  maxEntries?: number
}

const MAX_PARENTS = 8

/** A Map that forgets entries older than the TTL and the oldest past a size. */
class Recent<V> {
  readonly #map = new Map<string | number, { value: V, atMs: number }>()
  constructor (readonly ttlMs: number, readonly max: number) {}
  set (key: string | number, value: V, atMs: number): void {
    this.#map.delete(key)
    this.#map.set(key, { value, atMs })
    if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value as string | number)
  }

  get (key: string | number, nowMs: number): V | undefined {
    const hit = this.#map.get(key)
    if (hit === undefined) return undefined
    if (nowMs - hit.atMs > this.ttlMs) { this.#map.delete(key); return undefined }
    return hit.value
  }

  delete (key: string | number): void { this.#map.delete(key) }
  /** Drops expired entries from the front (insertion order is time order, nearly). */
  prune (nowMs: number): void {
    for (const [key, entry] of this.#map) {
      if (nowMs - entry.atMs <= this.ttlMs) break
      this.#map.delete(key)
    }
  }

  get size (): number { return this.#map.size }
}

export class Correlator {
  readonly #processes: Recent<ProcessInfo>
  readonly #execsByPid: Recent<{ event_id: string, command_line: string, request_id?: string }>
  readonly #startsByPid: Recent<string>
  readonly #clientsByTuple: Recent<{ event_id: string, url: string }>
  readonly #flowsByTuple: Recent<NonNullable<JoinedContext['flow']>>
  readonly #attacksByRequest: Recent<{ event_id: string, class: string, input: string }>

  constructor (options: CorrelatorOptions = {}) {
    const ttl = options.ttlMs ?? 600_000
    const max = options.maxEntries ?? 50_000
    this.#processes = new Recent(ttl * 6, max) // processes live long: an hour by default
    this.#execsByPid = new Recent(ttl, max)
    this.#startsByPid = new Recent(ttl, max)
    this.#clientsByTuple = new Recent(ttl, max)
    this.#flowsByTuple = new Recent(ttl, max)
    this.#attacksByRequest = new Recent(ttl, max)
  }

  /** Joins `event` with what came before it; the context is attached (CONTEXT) and returned. */
  join (event: AnyEvent): JoinedContext {
    const nowMs = timeOf(event)
    const ctx: JoinedContext = { related: [] }
    switch (event.kind) {
      case 'process.start': {
        const p = event.process as Record<string, any> | undefined
        if (p === undefined) break
        const info = processInfo(p, event.id)
        this.#processes.set(info.pid, info, nowMs)
        this.#startsByPid.set(info.pid, event.id, nowMs)
        this.#withProcess(ctx, info.pid, nowMs)
        const exec = this.#execsByPid.get(info.pid, nowMs)
        if (exec !== undefined) {
          ctx.exec = exec
          ctx.related.push(exec.event_id)
          this.#attackOf(ctx, exec.request_id, nowMs)
        }
        break
      }
      case 'process.exit':
        this.#withProcess(ctx, event.process?.pid, nowMs)
        break
      case 'process.exec': {
        const e = event.exec as Record<string, any> | undefined
        const exec = { event_id: event.id, command_line: String(e?.command_line ?? ''), request_id: event.request_id as string | undefined }
        if (typeof e?.pid === 'number') {
          this.#execsByPid.set(e.pid, exec, nowMs)
          const start = this.#startsByPid.get(e.pid, nowMs)
          if (start !== undefined) { ctx.process_start = { event_id: start }; ctx.related.push(start) }
          this.#withProcess(ctx, e.pid, nowMs)
        }
        this.#attackOf(ctx, exec.request_id, nowMs)
        break
      }
      case 'attack': {
        const a = event.attack as Record<string, any> | undefined
        if (typeof event.request_id === 'string' && a !== undefined) {
          this.#attacksByRequest.set(event.request_id, { event_id: event.id, class: String(a.class), input: `${String(a.input?.name)}=${String(a.input?.value)}` }, nowMs)
        }
        break
      }
      case 'net.flow': {
        const f = event.flow as Record<string, any> | undefined
        if (f === undefined) break
        const owner = f.process as Record<string, any> | undefined
        if (typeof owner?.pid === 'number') {
          this.#withProcess(ctx, owner.pid, nowMs)
          if (owner.sha256 === undefined && ctx.process?.sha256 !== undefined && (owner.exe === undefined || owner.exe === ctx.process.exe)) owner.sha256 = ctx.process.sha256
        }
        const summary = { event_id: event.id, src: f.src, sport: f.sport, dst: f.dst, dport: f.dport, src_bytes: f.src_bytes, dst_bytes: f.dst_bytes }
        const local = f.scope === 'inbound' ? tuple(f.dst, f.dport, f.src, f.sport) : tuple(f.src, f.sport, f.dst, f.dport)
        this.#flowsByTuple.set(local, summary, nowMs)
        const client = this.#clientsByTuple.get(local, nowMs)
        if (client !== undefined) { ctx.http_client = client; ctx.related.push(client.event_id) }
        break
      }
      case 'http.client': {
        const h = event.http as Record<string, any> | undefined
        if (h?.local === undefined || h.remote === undefined) break
        const local = tuple(h.local.address, h.local.port, h.remote.address, h.remote.port)
        this.#clientsByTuple.set(local, { event_id: event.id, url: String(h.url) }, nowMs)
        const flow = this.#flowsByTuple.get(local, nowMs)
        if (flow !== undefined) { ctx.flow = flow; ctx.related.push(flow.event_id) }
        break
      }
      case 'login.ssh':
        this.#withProcess(ctx, event.login?.pid, nowMs)
        break
      default:
        break
    }
    ;(event as Record<symbol, unknown>)[CONTEXT] = ctx
    return ctx
  }

  /** Forgets what expired (call now and then, e.g. once a minute). */
  prune (nowMs: number): void {
    for (const table of [this.#processes, this.#execsByPid, this.#startsByPid, this.#clientsByTuple, this.#flowsByTuple, this.#attacksByRequest]) table.prune(nowMs)
  }

  get sizes (): Record<string, number> {
    return { processes: this.#processes.size, execs: this.#execsByPid.size, flows: this.#flowsByTuple.size, http_clients: this.#clientsByTuple.size, attacks: this.#attacksByRequest.size }
  }

  #withProcess (ctx: JoinedContext, pid: unknown, nowMs: number): void {
    if (typeof pid !== 'number') return
    const info = this.#processes.get(pid, nowMs)
    if (info === undefined) return
    ctx.process = info
    if (!ctx.related.includes(info.event_id)) ctx.related.push(info.event_id)
    const parents: ProcessInfo[] = []
    let next = info.ppid
    while (next !== undefined && next > 0 && parents.length < MAX_PARENTS) {
      const parent = this.#processes.get(next, nowMs)
      if (parent === undefined || parents.includes(parent)) break
      parents.push(parent)
      if (!ctx.related.includes(parent.event_id)) ctx.related.push(parent.event_id)
      next = parent.ppid
    }
    if (parents.length > 0) ctx.parents = parents
  }

  #attackOf (ctx: JoinedContext, requestId: string | undefined, nowMs: number): void {
    if (requestId === undefined) return
    const attack = this.#attacksByRequest.get(requestId, nowMs)
    if (attack !== undefined) { ctx.attack = attack; ctx.related.push(attack.event_id) }
  }
}

/** The context joined to an event, if it went through a Correlator. */
export function contextOf (event: AnyEvent): JoinedContext | undefined {
  return (event as Record<symbol, unknown>)[CONTEXT] as JoinedContext | undefined
}

function processInfo (p: Record<string, any>, eventId: string): ProcessInfo {
  const exe = typeof p.exe === 'string' ? p.exe : undefined
  const info: ProcessInfo = { pid: p.pid, event_id: eventId }
  if (typeof p.ppid === 'number') info.ppid = p.ppid
  if (exe !== undefined) info.exe = exe
  const name = exe !== undefined ? exe.slice(exe.lastIndexOf('/') + 1) : p.comm
  if (typeof name === 'string') info.name = name
  if (typeof p.sha256 === 'string') info.sha256 = p.sha256
  if (typeof p.user === 'string') info.user = p.user
  if (typeof p.tty === 'string') info.tty = p.tty
  if (Array.isArray(p.cmdline)) info.cmdline = p.cmdline.join(' ').slice(0, 1024)
  return info
}

function tuple (localAddr: unknown, localPort: unknown, remoteAddr: unknown, remotePort: unknown): string {
  return `${String(localAddr)} ${String(localPort)} ${String(remoteAddr)} ${String(remotePort)}`
}

function timeOf (event: AnyEvent): number {
  const t = typeof event.ts === 'string' ? Date.parse(event.ts) : NaN
  return Number.isFinite(t) ? t : Date.now()
}
