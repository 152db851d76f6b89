/**
 * Stable error codes of the sidewatch wire protocol.
 *
 * Every code here can travel in an `error` message, so the Python and Ruby clients see the same
 * strings. `fatal` codes mean the byte stream can no longer be trusted: the receiver sends the
 * error frame and closes the connection. Non-fatal codes reject one message (or one event) and
 * the connection stays up.
 */
export const ERROR_CODES = {
  SW_ERR_FRAME_TOO_LARGE: { fatal: true, what: 'a frame (or its decompressed payload) is larger than the maximum frame size' },
  SW_ERR_FRAME_FLAGS: { fatal: true, what: 'a frame header sets flag bits this version does not define' },
  SW_ERR_FRAME_TRUNCATED: { fatal: true, what: 'the stream ended inside a frame' },
  SW_ERR_EMPTY_MESSAGE: { fatal: false, what: 'a frame has a zero-length payload' },
  SW_ERR_DECOMPRESS: { fatal: false, what: 'a frame flagged gzip does not hold valid gzip data' },
  SW_ERR_INVALID_UTF8: { fatal: false, what: 'a payload is not valid UTF-8' },
  SW_ERR_INVALID_JSON: { fatal: false, what: 'a payload is not valid JSON' },
  SW_ERR_UNKNOWN_MESSAGE_TYPE: { fatal: false, what: 'a message has no `type`, or one this version does not define' },
  SW_ERR_INVALID_MESSAGE: { fatal: false, what: 'a message does not match the shape of its type' },
  SW_ERR_UNSUPPORTED_VERSION: { fatal: true, what: 'the peer speaks a protocol major version this side does not' },
  SW_ERR_INVALID_EVENT: { fatal: false, what: 'an event does not match the event schema' },
  SW_ERR_BATCH_TOO_LARGE: { fatal: false, what: 'an events message holds more events than the agent accepts in one batch' },
  SW_ERR_AUTH: { fatal: true, what: 'the hello message carries a wrong or missing token' },
  SW_ERR_HANDSHAKE_REQUIRED: { fatal: true, what: 'a message other than hello arrived before the handshake' },
  SW_ERR_HANDSHAKE_TIMEOUT: { fatal: true, what: 'no hello arrived in time' },
  SW_ERR_TOO_MANY_CONNECTIONS: { fatal: true, what: 'the agent is at its connection limit' },
  SW_ERR_STORE_UNAVAILABLE: { fatal: true, what: 'the agent could not store a batch (its spool cannot be written: a full disk); the connection is closed, the client keeps the batch and sends it again after reconnecting' },
} as const satisfies Record<string, { fatal: boolean; what: string }>

export type ErrorCode = keyof typeof ERROR_CODES

/** An error of the wire protocol, with a stable `code` and, for shape errors, the offending field. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
  readonly code: ErrorCode
  /** JSON Pointer of the offending field, relative to the message (e.g. `/events/3/pid`). */
  readonly field: string | undefined

  constructor (code: ErrorCode, message: string, field?: string) {
    super(message)
    this.code = code
    this.field = field
  }

  /** True when the connection must be closed after reporting this error. */
  get fatal (): boolean {
    return ERROR_CODES[this.code].fatal
  }
}

export function isProtocolError (err: unknown): err is ProtocolError {
  return err instanceof ProtocolError
}
