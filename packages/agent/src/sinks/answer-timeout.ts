/**
 * How long an HTTP sink (https, otlp, webhook) waits for a receiver's answer before the batch
 * counts as failed and is retried: SIDEWATCH_SINK_TIMEOUT (a duration: `30s`, `2m`, `500ms`), or
 * the sink's default. A receiver that accepts the connection and then says nothing costs this
 * long per try; the spool keeps the batch meanwhile.
 */
import { parseDuration } from '../duration'
import { AgentError } from '../errors'

export function answerTimeoutMs (env: NodeJS.ProcessEnv, defaultMs: number): number {
  const text = env.SIDEWATCH_SINK_TIMEOUT
  if (text === undefined || text.trim() === '') return defaultMs
  const ms = parseDuration(/^\d+(\.\d+)?$/.test(text.trim()) ? `${text.trim()}s` : text)
  if (ms === undefined || ms < 10 || ms > 600_000) {
    throw new AgentError('SW_ERR_SINK', `SIDEWATCH_SINK_TIMEOUT=${JSON.stringify(text)} is not a duration from 10ms to 10m (like 30s)`)
  }
  return ms
}
