/**
 * Message codec: message ⇄ frame. Decoding here checks bytes, UTF-8, JSON and the `type`
 * discriminator; the full shape check is `checkMessage` from `@sidewatch/proto/schema`, so an SDK
 * can speak the protocol without loading the schema validator.
 */
import { gunzipSync } from 'node:zlib'
import { DEFAULT_MAX_FRAME_SIZE, encodeFrame, type EncodeFrameOptions } from './frame'
import type { Frame } from './frame-decoder'
import { ProtocolError } from './errors'
import { MESSAGE_TYPES, type Message } from './messages'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Encodes one message as one frame: compact JSON in UTF-8, optionally gzipped. */
export function encodeMessage (message: Message, options?: EncodeFrameOptions): Buffer {
  return encodeFrame(Buffer.from(JSON.stringify(message), 'utf8'), options)
}

export interface DecodePayloadOptions {
  maxFrameSize?: number
}

/** Turns a frame into a message object with a known `type`. Throws ProtocolError. */
export function decodeFrame (frame: Frame, options: DecodePayloadOptions = {}): Message {
  const payload = frame.compressed ? gunzip(frame.payload, options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE) : frame.payload
  if (payload.length === 0) {
    throw new ProtocolError('SW_ERR_EMPTY_MESSAGE', 'frame payload is empty; expected a JSON object')
  }
  let text: string
  try {
    text = utf8.decode(payload)
  } catch {
    throw new ProtocolError('SW_ERR_INVALID_UTF8', `payload of ${payload.length} bytes is not valid UTF-8`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ProtocolError('SW_ERR_INVALID_JSON', `payload is not valid JSON: ${(err as Error).message}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('SW_ERR_INVALID_MESSAGE', 'message must be a JSON object', '')
  }
  const type = (value as { type?: unknown }).type
  if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) {
    const got = typeof type === 'string' ? JSON.stringify(type.slice(0, 64)) : 'none'
    throw new ProtocolError('SW_ERR_UNKNOWN_MESSAGE_TYPE',
      `message type ${got} is not one of ${MESSAGE_TYPES.join(', ')}`, '/type')
  }
  return value as Message
}

function gunzip (data: Buffer, max: number): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: max })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ProtocolError('SW_ERR_FRAME_TOO_LARGE', `gzip payload inflates past the maximum of ${max} bytes`)
    }
    throw new ProtocolError('SW_ERR_DECOMPRESS', `gzip payload is corrupt: ${(err as Error).message}`)
  }
}
