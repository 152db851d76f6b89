/**
 * Checks of single configuration values. Each returns the value in its configured form or throws
 * an AgentError saying what was expected; config.ts adds where the value came from.
 */
import { parseDuration } from './duration'
import { AgentError } from './errors'
import { parseListenSpec } from './ingest/listen-spec'
import { resolveGroup } from './ingest/socket-group'
import { parseMetricsAddress } from './metrics-server'
import { parseSinkSpecs } from './sinks/parse'

export function checkListen (specs: string[]): string[] {
  if (specs.length === 0) throw new AgentError('SW_ERR_LISTEN', 'at least one listen address is needed')
  for (const spec of specs) parseListenSpec(spec)
  return specs
}

export function checkSinks (specs: string[]): string[] {
  if (specs.length === 0) throw new AgentError('SW_ERR_SINK', 'at least one sink is needed')
  parseSinkSpecs(specs)
  return specs
}

export function checkToken (value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new AgentError('SW_ERR_CONFIG', 'token must be a non-empty string')
  if (value.length > 1024) throw new AgentError('SW_ERR_CONFIG', `token is ${value.length} characters; the protocol allows at most 1024`)
  return value
}

/** A group name or numeric gid that exists here (socket-group.ts looks it up). */
export function checkGroup (value: unknown): string {
  if (typeof value !== 'string' || !/^(?:\d{1,10}|[A-Za-z_][A-Za-z0-9_.-]{0,31})$/.test(value)) {
    throw new AgentError('SW_ERR_CONFIG', `${JSON.stringify(value)} is not a group name or a numeric gid`)
  }
  resolveGroup(value)
  return value
}

export function checkCapture (value: unknown): string {
  // auto, off, or a Linux interface name (at most 15 characters).
  if (typeof value === 'string' && /^[A-Za-z0-9_.:@-]{1,15}$/.test(value)) return value
  throw new AgentError('SW_ERR_CONFIG', `capture ${JSON.stringify(value)} is not valid; expected auto, off or an interface name such as eth1`)
}

export function checkProc (value: unknown): 'on' | 'off' {
  return oneOf(value, ['on', 'off'] as const)
}

export function checkMetrics (value: unknown): string {
  if (typeof value !== 'string') throw new AgentError('SW_ERR_METRICS', 'metrics must be an address such as 127.0.0.1:9464')
  parseMetricsAddress(value)
  return value
}

export function oneOf<T extends string> (value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T
  throw new AgentError('SW_ERR_CONFIG', `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`)
}

export function integer (value: unknown, min: number, max: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value
  throw new AgentError('SW_ERR_CONFIG', `${JSON.stringify(value)} is not an integer from ${min} to ${max}`)
}

/** A number of seconds (`60`, `0.5`) or a duration (`250ms`, `1m`); returns milliseconds. */
export function seconds (value: unknown): number {
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? parseDuration(value) : undefined
  if (ms !== undefined && Number.isFinite(ms) && ms >= 1 && ms <= 86_400_000) return Math.round(ms)
  throw new AgentError('SW_ERR_CONFIG', `${JSON.stringify(value)} is not a duration; give seconds (60) or a duration (500ms, 30s, 1m)`)
}

export function stringList (value: unknown): string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value
  throw new AgentError('SW_ERR_CONFIG', `${JSON.stringify(value)} is not a list of strings`)
}
