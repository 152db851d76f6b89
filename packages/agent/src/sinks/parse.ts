/** Sink specs: `jsonl:FILE`, `jsonl:-` (stdout), `sqlite:FILE`, `nats://HOST:PORT[?stream=NAME]`, `https://HOST/PATH`. */
import { resolve } from 'node:path'
import { AgentError } from '../errors'
import { checkHttpsUrl } from './https'
import { parseNatsUrl } from './nats'
import { checkOtlpUrl } from './otlp'
import { checkWebhookUrl } from './webhook'

export type SinkSpec =
  | { type: 'jsonl', path: string | '-' }
  | { type: 'sqlite', path: string }
  | { type: 'nats', url: string }
  | { type: 'https', url: string }
  | { type: 'otlp', url: string }
  | { type: 'webhook', url: string }

const EXPECTED = 'expected jsonl:FILE, jsonl:-, sqlite:FILE, nats://HOST:PORT, https://HOST/PATH or otlp+http://HOST:PORT'

export function parseSinkSpec (text: string): SinkSpec {
  const colon = text.indexOf(':')
  if (colon <= 0) throw new AgentError('SW_ERR_SINK', `sink spec ${JSON.stringify(text)} has no type; ${EXPECTED}`)
  const type = text.slice(0, colon)
  const target = text.slice(colon + 1)
  if (type === 'webhook+https' || type === 'webhook+http') {
    checkWebhookUrl(text)
    return { type: 'webhook', url: text }
  }
  if (type === 'otlp+http' || type === 'otlp+https') {
    checkOtlpUrl(text)
    return { type: 'otlp', url: text }
  }
  if (type === 'https' || type === 'http') {
    return { type: 'https', url: checkHttpsUrl(text).href }
  }
  if (type === 'nats') {
    parseNatsUrl(text) // checked now, so a bad spec fails at start-up
    return { type, url: text }
  }
  if (type !== 'jsonl' && type !== 'sqlite') {
    throw new AgentError('SW_ERR_SINK', `sink type ${JSON.stringify(type)} in ${JSON.stringify(text)} is not supported; ${EXPECTED}`)
  }
  if (target === '') throw new AgentError('SW_ERR_SINK', `sink spec ${JSON.stringify(text)} has no file; ${EXPECTED}`)
  if (type === 'jsonl') return { type, path: target === '-' ? '-' : resolve(target) }
  if (target === '-') throw new AgentError('SW_ERR_SINK', `sink spec ${JSON.stringify(text)}: sqlite needs a file, not stdout`)
  return { type, path: resolve(target) }
}

export function formatSinkSpec (spec: SinkSpec): string {
  if (spec.type === 'nats') return spec.url.replace(/\/\/[^@/]*@/, '//')
  if (spec.type === 'https' || spec.type === 'otlp' || spec.type === 'webhook') return spec.url
  return `${spec.type}:${spec.path}`
}

/** Parses a list of specs and refuses the same target twice (two writers on one file). */
export function parseSinkSpecs (texts: readonly string[]): SinkSpec[] {
  const specs = texts.map(parseSinkSpec)
  const seen = new Set<string>()
  for (const spec of specs) {
    const key = formatSinkSpec(spec)
    if (seen.has(key)) throw new AgentError('SW_ERR_SINK', `sink ${key} is listed twice`)
    seen.add(key)
  }
  return specs
}

/** A spec as it may be logged: a webhook's path (its secret) and any URL credentials hidden. */
export function redactSinkSpec (text: string): string {
  if (text.startsWith('webhook+')) {
    try { const url = new URL(text.slice('webhook+'.length)); return `webhook+${url.origin}/…` } catch { return 'webhook+…' }
  }
  return text.replace(/\/\/[^@/]*@/, '//…@')
}
