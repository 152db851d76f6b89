import { DEFAULT_MAX_FRAME_SIZE, FLAG_GZIP, HEADER_SIZE, KNOWN_FLAGS } from './frame'
import { ProtocolError } from './errors'

/** One frame as it came off the wire; `payload` is still compressed when `compressed` is set. */
export interface Frame {
  compressed: boolean
  payload: Buffer
}

export interface FrameDecoderOptions {
  maxFrameSize?: number
}

/**
 * Streaming frame decoder: feed it socket chunks of any size, get whole frames out, in order.
 *
 * It keeps at most one partial frame buffered and checks the declared length against the
 * maximum as soon as the 5-byte header is in, so an oversized frame is rejected before any of
 * its payload is buffered. After a framing error the stream is unusable and `push` keeps
 * throwing the same error.
 */
export class FrameDecoder {
  readonly maxFrameSize: number
  #pending: Buffer[] = []
  #pendingBytes = 0
  /** Bytes of the partial frame needed before it is worth looking at the buffer again. */
  #need = HEADER_SIZE
  #failed: ProtocolError | undefined

  constructor (options: FrameDecoderOptions = {}) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
  }

  /** Bytes received but not yet returned as a frame. */
  get bufferedBytes (): number {
    return this.#pendingBytes
  }

  /**
   * Adds a chunk and calls `onFrame` for every frame it completes, in order. A framing error is
   * thrown (a fatal ProtocolError) after the frames before it were delivered. `onFrame` must not
   * throw.
   */
  push (chunk: Buffer, onFrame: (frame: Frame) => void): void {
    if (this.#failed !== undefined) throw this.#failed
    if (this.#pendingBytes + chunk.length < this.#need) {
      // Still inside a frame whose header we have checked: keep the chunk, copy nothing yet.
      this.#pending.push(chunk)
      this.#pendingBytes += chunk.length
      return
    }
    let buf = this.#pendingBytes === 0 ? chunk : Buffer.concat([...this.#pending, chunk])
    let offset = 0
    while (buf.length - offset >= HEADER_SIZE) {
      const flags = buf[offset] as number
      const length = buf.readUInt32BE(offset + 1)
      if ((flags & ~KNOWN_FLAGS) !== 0) {
        this.#fail(new ProtocolError('SW_ERR_FRAME_FLAGS',
          `frame flags 0x${flags.toString(16).padStart(2, '0')} set undefined bits; only bit 0 (gzip) is defined`))
      }
      if (length > this.maxFrameSize) {
        this.#fail(new ProtocolError('SW_ERR_FRAME_TOO_LARGE',
          `frame declares ${length} bytes; the maximum is ${this.maxFrameSize}`))
      }
      if (buf.length - offset - HEADER_SIZE < length) {
        this.#need = HEADER_SIZE + length
        break
      }
      const start = offset + HEADER_SIZE
      // Copy so a frame never pins the (possibly large) socket chunk it came in.
      offset = start + length
      onFrame({ compressed: (flags & FLAG_GZIP) !== 0, payload: Buffer.from(buf.subarray(start, offset)) })
    }
    buf = buf.subarray(offset)
    if (buf.length < HEADER_SIZE) this.#need = HEADER_SIZE
    this.#pending = buf.length === 0 ? [] : [buf]
    this.#pendingBytes = buf.length
  }

  /** Call at end of stream: throws SW_ERR_FRAME_TRUNCATED when it ended inside a frame. */
  end (): void {
    if (this.#failed !== undefined) throw this.#failed
    if (this.#pendingBytes > 0) {
      this.#fail(new ProtocolError('SW_ERR_FRAME_TRUNCATED',
        `stream ended with ${this.#pendingBytes} bytes of an unfinished frame`))
    }
  }

  #fail (err: ProtocolError): never {
    this.#failed = err
    this.#pending = []
    this.#pendingBytes = 0
    throw err
  }
}
