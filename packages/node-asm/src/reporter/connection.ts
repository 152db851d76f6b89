/**
 * One socket to the agent: frames out, decoded messages in. It never keeps the process alive
 * unless asked (`ref()` during the exit flush), never throws, and reports its end exactly once
 * through `onClose`, with the error that caused it when there was one.
 */
import { connect, type Socket } from 'node:net'
import { FrameDecoder, decodeFrame, type Message } from '@sidewatch/proto'
import type { AgentAddress } from './address'

export interface ConnectionHandlers {
  onConnect (): void
  onMessage (message: Message): void
  onClose (error: Error | undefined): void
}

export class Connection {
  readonly #socket: Socket
  readonly #decoder = new FrameDecoder()
  readonly #handlers: ConnectionHandlers
  #error: Error | undefined
  #closed = false

  constructor (address: AgentAddress, handlers: ConnectionHandlers, options: { ref?: boolean } = {}) {
    this.#handlers = handlers
    this.#socket = address.kind === 'unix'
      ? connect({ path: address.path })
      : connect({ host: address.host, port: address.port })
    if (options.ref !== true) this.#socket.unref()
    if (address.kind === 'tcp') this.#socket.setNoDelay(true)
    this.#socket.on('connect', () => { this.#handlers.onConnect() })
    this.#socket.on('data', (chunk: Buffer) => { this.#receive(chunk) })
    this.#socket.on('error', (err) => { this.#error ??= err })
    this.#socket.on('close', () => {
      this.#closed = true
      this.#handlers.onClose(this.#error)
    })
  }

  get closed (): boolean {
    return this.#closed
  }

  /** Writes one frame; libuv tries the write right away, so this also works from an 'exit' handler. */
  send (frame: Buffer): void {
    if (this.#closed || this.#socket.destroyed) return
    this.#socket.write(frame)
  }

  ref (): void {
    this.#socket.ref()
  }

  unref (): void {
    this.#socket.unref()
  }

  /** Closes now; `onClose` follows with `error`. */
  destroy (error?: Error): void {
    this.#error ??= error
    this.#socket.destroy()
  }

  /** Closes after what was written has been handed to the kernel. */
  end (): void {
    this.#socket.end()
  }

  #receive (chunk: Buffer): void {
    try {
      this.#decoder.push(chunk, (frame) => {
        if (this.#closed || this.#socket.destroyed) return
        this.#handlers.onMessage(decodeFrame(frame))
      })
    } catch (err) {
      // A frame we cannot read: the stream can no longer be trusted.
      this.destroy(err as Error)
    }
  }
}
