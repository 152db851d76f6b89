/**
 * gRPC-style length-prefixed framing.
 *
 *   +--------+--------------------+-------------------+
 *   | flags  | length (uint32 BE) | payload (length)  |
 *   +--------+--------------------+-------------------+
 *     1 byte        4 bytes
 *
 * Flag bit 0 means the payload is gzip-compressed. All other bits must be zero.
 */
import { gzipSync } from 'node:zlib'

export const HEADER_SIZE = 5
export const FLAG_GZIP = 0x01
export const KNOWN_FLAGS = FLAG_GZIP
/** Default maximum payload size, compressed and decompressed: 1 MiB. */
export const DEFAULT_MAX_FRAME_SIZE = 1024 * 1024

export interface EncodeFrameOptions {
  /** gzip the payload and set flag bit 0. */
  compress?: boolean
}

/** Wraps a payload into one frame. */
export function encodeFrame (payload: Uint8Array, options: EncodeFrameOptions = {}): Buffer {
  const body = options.compress === true ? gzipSync(payload) : payload
  const frame = Buffer.allocUnsafe(HEADER_SIZE + body.length)
  frame[0] = options.compress === true ? FLAG_GZIP : 0
  frame.writeUInt32BE(body.length, 1)
  frame.set(body, HEADER_SIZE)
  return frame
}
