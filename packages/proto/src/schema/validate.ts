/**
 * Runtime checks of messages and events, compiled once from the TypeBox definitions.
 */
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { TSchema } from '@sinclair/typebox'
import { ProtocolError } from '../errors'
import { checkVersion } from '../version'
import type { Message } from '../messages'
import { EVENT_KINDS, EVENT_SCHEMAS, type EventKind, type SidewatchEvent } from './events'
import { MESSAGE_SCHEMAS } from './messages'

function compileAll<K extends string> (schemas: Record<K, TSchema>): Record<K, TypeCheck<TSchema>> {
  const out = {} as Record<K, TypeCheck<TSchema>>
  for (const key of Object.keys(schemas) as K[]) out[key] = TypeCompiler.Compile(schemas[key])
  return out
}

const messageChecks = compileAll(MESSAGE_SCHEMAS)
const eventChecks = compileAll(EVENT_SCHEMAS)
const kinds = new Set<string>(EVENT_KINDS)

/** The first schema error of `value`, as `{ field, message }`. */
function firstError (check: TypeCheck<TSchema>, value: unknown): { field: string, message: string } {
  const error = check.Errors(value).First()
  if (error === undefined) return { field: '', message: 'invalid' }
  return { field: error.path, message: error.message }
}

/**
 * Checks a decoded message's shape (and, for hello, its protocol version). Events inside an
 * `events` message are not checked here: call `validateEvent` on each.
 * Throws SW_ERR_INVALID_MESSAGE or SW_ERR_UNSUPPORTED_VERSION.
 */
export function checkMessage (message: Message): void {
  if (message.type === 'hello' && typeof message.version === 'string') checkVersion(message.version)
  const type = message.type
  const check = messageChecks[type]
  if (check.Check(message)) return
  const { field, message: what } = firstError(check, message)
  throw new ProtocolError('SW_ERR_INVALID_MESSAGE', `${type} message: ${field || '/'}: ${what}`, field)
}

/** Why an event was rejected: a stable code, the field (JSON Pointer into the event) and a message. */
export interface EventIssue {
  code: 'SW_ERR_INVALID_EVENT'
  field: string
  message: string
}

/** Checks one event against the schema of its kind. Returns undefined when it is valid. */
export function validateEvent (event: unknown): EventIssue | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return { code: 'SW_ERR_INVALID_EVENT', field: '', message: 'event must be a JSON object' }
  }
  const kind = (event as { kind?: unknown }).kind
  if (typeof kind !== 'string' || !kinds.has(kind)) {
    const got = typeof kind === 'string' ? JSON.stringify(kind.slice(0, 64)) : 'missing'
    return { code: 'SW_ERR_INVALID_EVENT', field: '/kind', message: `kind ${got} is not one of ${EVENT_KINDS.join(', ')}` }
  }
  const check = eventChecks[kind as EventKind]
  if (check.Check(event)) return undefined
  const { field, message } = firstError(check, event)
  return { code: 'SW_ERR_INVALID_EVENT', field, message: `${kind} event: ${field}: ${message}` }
}

export function isValidEvent (event: unknown): event is SidewatchEvent {
  return validateEvent(event) === undefined
}
