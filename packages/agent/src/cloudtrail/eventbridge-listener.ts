/**
 * The agent's EventBridge endpoint: `POST /v1/cloudtrail` with `Authorization: Bearer <deployment
 * key>` and one EventBridge event (or an array of them) whose `detail` is a CloudTrail record —
 * what an EventBridge API destination sends for a rule on `AWS API Call via CloudTrail` — or bare
 * records. Each record becomes a `cloudtrail` event on the agent's usual path (rules, spool,
 * sinks). Bad records are counted and named in the answer; the good ones are still taken.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SidewatchEvent } from '@sidewatch/proto'
import type { Logger } from '../log'
import { cloudTrailEvent, recordProblem } from './cloudtrail-event'
import { unwrap } from './read-records'

export const CLOUDTRAIL_PATH = '/v1/cloudtrail'
const MAX_BODY = 8 * 1024 * 1024

export interface EventBridgeOptions {
  host: string
  port: number
  key: string
  write: (events: readonly SidewatchEvent[]) => Promise<void>
  log: Logger
}

export class EventBridgeListener {
  readonly #server: Server
  readonly #key: Buffer
  readonly #options: EventBridgeOptions
  readonly stats = { records: 0, rejected: 0, unauthorized: 0 }

  private constructor (options: EventBridgeOptions) {
    this.#options = options
    this.#key = hash(options.key)
    this.#server = createServer((req, res) => { void this.#handle(req, res) })
  }

  static async start (options: EventBridgeOptions): Promise<EventBridgeListener> {
    const listener = new EventBridgeListener(options)
    await new Promise<void>((resolve, reject) => {
      listener.#server.once('error', reject)
      listener.#server.listen(options.port, options.host, () => { listener.#server.off('error', reject); resolve() })
    })
    return listener
  }

  get address (): string {
    const a = this.#server.address() as AddressInfo
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}${CLOUDTRAIL_PATH}`
  }

  close (): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }

  async #handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, body: Record<string, unknown>): void => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    try {
      if (req.url?.split('?')[0] !== CLOUDTRAIL_PATH || req.method !== 'POST') { answer(404, { error: `POST ${CLOUDTRAIL_PATH}` }); return }
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''
      if (!timingSafeEqual(hash(given), this.#key) || given === '') {
        this.stats.unauthorized++
        this.#options.log.warn({ code: 'SW_ERR_AUTH', peer: req.socket.remoteAddress }, 'cloudtrail: a request without the deployment key')
        answer(401, { error: 'SW_ERR_AUTH: missing or wrong deployment key' })
        return
      }
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of req) {
        size += (chunk as Buffer).length
        if (size > MAX_BODY) { answer(413, { error: `SW_ERR_FRAME_TOO_LARGE: over ${MAX_BODY} bytes` }); return }
        chunks.push(chunk as Buffer)
      }
      let body: unknown
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch (err) {
        answer(400, { error: `SW_ERR_BAD_FRAME: not JSON: ${(err as Error).message}` })
        return
      }
      const list = Array.isArray(body) ? body : [body]
      const events: SidewatchEvent[] = []
      const rejected: Array<{ index: number, error: string }> = []
      list.forEach((item, index) => {
        const record = unwrap(item)
        const problem = recordProblem(record)
        if (problem === undefined) events.push(cloudTrailEvent(record as Record<string, any>) as unknown as SidewatchEvent)
        else rejected.push({ index, error: `SW_ERR_CLOUDTRAIL: record ${problem}` })
      })
      if (events.length > 0) await this.#options.write(events)
      this.stats.records += events.length
      this.stats.rejected += rejected.length
      if (rejected.length > 0) this.#options.log.warn({ code: 'SW_ERR_CLOUDTRAIL', rejected }, 'cloudtrail: records refused')
      answer(200, { accepted: events.length, rejected })
    } catch (err) {
      this.#options.log.error({ code: 'SW_ERR_CLOUDTRAIL', err }, 'cloudtrail: request failed')
      if (!res.headersSent) answer(503, { error: 'could not store the records; retry' })
    }
  }
}

function hash (text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}
