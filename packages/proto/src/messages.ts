/**
 * The messages of the wire protocol. Shapes are validated by `@sidewatch/proto/schema`
 * (`checkMessage`); these types are what a checked message looks like.
 */
import type { SidewatchEvent } from './schema/events'

export type Mode = 'monitor' | 'block'

export interface NameVersion { name: string, version: string }

/** Client → agent, first message on a connection. */
export interface HelloMessage {
  type: 'hello'
  /** Protocol version `major.minor`. */
  version: string
  token?: string
  runtime: NameVersion
  sdk: NameVersion
  service: string
  pid: number
  host?: string
  container?: string
  /** Events the client dropped since its last accepted session (queue full, agent away). */
  dropped?: number
}

/** Agent → client, the answer to a good hello. */
export interface WelcomeMessage {
  type: 'welcome'
  version: string
  agent_version: string
  session_id: string
  /** Configuration the client must apply. */
  config: { mode: Mode }
}

/** Either side: something was wrong. `field` is a JSON Pointer into the offending message. */
export interface ErrorMessage {
  type: 'error'
  code: string
  message: string
  field?: string
  /** The `seq` of the events message this error is about, when there is one. */
  seq?: number
}

/** Client → agent, a batch of events. */
export interface EventsMessage {
  type: 'events'
  seq: number
  events: SidewatchEvent[]
}

/** Agent → client: the batch `seq` was taken; `rejected` events in it failed validation. */
export interface AckMessage {
  type: 'ack'
  seq: number
  accepted: number
  rejected: number
}

export interface PingMessage { type: 'ping', id?: number }
export interface PongMessage { type: 'pong', id?: number }

export type Message =
  | HelloMessage | WelcomeMessage | ErrorMessage | EventsMessage | AckMessage | PingMessage | PongMessage

export type MessageType = Message['type']

export const MESSAGE_TYPES: readonly MessageType[] = ['hello', 'welcome', 'error', 'events', 'ack', 'ping', 'pong']
