// A minimal protocol client for the tests, built on @sidewatch/proto: connect, send messages or
// raw bytes, read the agent's decoded replies in order, see when the agent closes.
import { connect, type Socket } from 'node:net'
import { randomUUID } from 'node:crypto'
import { FrameDecoder, decodeFrame, encodeMessage, type Message, type SidewatchEvent } from '@sidewatch/proto'

export class TestClient {
  readonly socket: Socket
  readonly replies: Message[] = []
  /** Resolves when the agent has closed the connection (or it broke). */
  readonly closed: Promise<void>
  #decoder = new FrameDecoder()
  #wake: (() => void) | undefined
  #isClosed = false

  private constructor (socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#decoder.push(chunk, (frame) => this.replies.push(decodeFrame(frame)))
      this.#wake?.()
    })
    socket.on('error', () => {})
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.#isClosed = true
      this.#wake?.()
      resolve()
    }))
  }

  /** `tcp://127.0.0.1:PORT` or `unix:/path`. */
  static connect (address: string): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = address.startsWith('unix:')
        ? connect({ path: address.slice('unix:'.length) })
        : connect({ host: new URL(address).hostname, port: Number(new URL(address).port) })
      socket.once('error', reject)
      socket.once('connect', () => {
        socket.off('error', reject)
        resolve(new TestClient(socket))
      })
    })
  }

  /** Connects and completes the handshake; returns the client and the welcome. */
  static async greeted (address: string, overrides: Record<string, unknown> = {}): Promise<TestClient> {
    const client = await TestClient.connect(address)
    const welcome = await client.hello(overrides)
    if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`)
    return client
  }

  get isClosed (): boolean {
    return this.#isClosed
  }

  send (message: Record<string, unknown>, options: { compress?: boolean } = {}): void {
    this.socket.write(encodeMessage(message as unknown as Message, options))
  }

  sendRaw (bytes: Buffer): void {
    this.socket.write(bytes)
  }

  async hello (overrides: Record<string, unknown> = {}): Promise<Message> {
    this.send(helloMessage(overrides))
    return this.next()
  }

  /** The next reply, in order; fails after `ms` or when the connection closes without one. */
  async next (ms = 5000): Promise<Message> {
    const deadline = Date.now() + ms
    for (;;) {
      const reply = this.replies.shift()
      if (reply !== undefined) return reply
      if (this.#isClosed) throw new Error('connection closed with no further reply')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no reply within ${ms} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#wake = () => { clearTimeout(timer); resolve() }
      })
      this.#wake = undefined
    }
  }

  /** Replies up to and including the first of `type`. */
  async until (type: Message['type'], ms = 5000): Promise<Message[]> {
    const got: Message[] = []
    for (;;) {
      const reply = await this.next(ms)
      got.push(reply)
      if (reply.type === type) return got
    }
  }

  /** Sends a batch and returns the error replies and the ack. */
  async batch (seq: number, events: unknown[]): Promise<{ errors: Message[], ack: Message }> {
    this.send({ type: 'events', seq, events })
    const replies = await this.until('ack')
    return { errors: replies.slice(0, -1), ack: replies[replies.length - 1] as Message }
  }

  async waitClosed (ms = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.closed,
      new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`connection still open after ${ms} ms`)), ms) }),
    ]).finally(() => clearTimeout(timer))
  }

  close (): Promise<void> {
    this.socket.end()
    return this.closed
  }

  destroy (): void {
    this.socket.destroy()
  }
}

export function helloMessage (overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'hello',
    version: '1.0',
    token: 'test-token',
    runtime: { name: 'node', version: process.versions.node },
    sdk: { name: 'test-client', version: '0.0.0' },
    service: 'checkout',
    pid: 4242,
    ...overrides,
  }
}

/** Valid events of several kinds, with fields tests can search for. */
export const events = {
  exec (overrides: Record<string, unknown> = {}): SidewatchEvent {
    return {
      id: randomUUID(),
      ts: new Date().toISOString(),
      kind: 'process.exec',
      source: 'node-asm',
      service: 'checkout',
      pid: 4242,
      exec: { method: 'exec', file: '/bin/sh', args: ['-c', 'cat /etc/passwd'], shell: true, command_line: 'cat /etc/passwd' },
      ...overrides,
    } as SidewatchEvent
  },
  fsOp (path = '/srv/app/uploads/a-b.txt'): SidewatchEvent {
    return { id: randomUUID(), ts: new Date().toISOString(), kind: 'fs.op', source: 'node-asm', service: 'checkout', fs: { op: 'open', path } }
  },
  httpRequest (): SidewatchEvent {
    return {
      id: randomUUID(),
      ts: new Date().toISOString(),
      kind: 'http.request',
      source: 'node-asm',
      service: 'checkout',
      container: 'web',
      http: { method: 'GET', url: '/cart?id=7', route: '/cart', status: 200, duration_ms: 3.2 },
    }
  },
  alert (): SidewatchEvent {
    return {
      id: randomUUID(),
      ts: new Date().toISOString(),
      kind: 'alert',
      source: 'rules',
      alert: { rule: 'shell_in_container', priority: 'warning', output: 'a shell ran in checkout', evidence: ['e1'] },
    }
  },
  flow (): SidewatchEvent {
    return {
      id: randomUUID(),
      ts: new Date().toISOString(),
      kind: 'net.flow',
      source: 'agent.net',
      flow: {
        proto: 'tcp', src: '10.0.0.5', sport: 51000, dst: '169.254.169.254', dport: 80, first: 1, last: 2,
        src_pkts: 3, src_bytes: 300, dst_pkts: 2, dst_bytes: 1200, end: 'fin', scope: 'outbound',
      },
    }
  },
}
