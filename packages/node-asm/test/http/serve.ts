// Shared by the test/http tests: servers on 127.0.0.1 port 0, and what the http.server channels saw.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { subscribe, type HttpServerContext } from '../../src/channels'
import { waitUntil } from '../helpers/wait'

export async function listen (server: Server): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export function close (server: Server): Promise<void> {
  server.closeAllConnections?.()
  return new Promise((resolve) => server.close(() => resolve()))
}

export interface Seen {
  starts: HttpServerContext[]
  finishes: HttpServerContext[]
  /** Resolves with the finish of the request whose url is `url` (waits for it). */
  finished (url: string): Promise<HttpServerContext>
  off (): void
}

export function watchServer (): Seen {
  const starts: HttpServerContext[] = []
  const finishes: HttpServerContext[] = []
  const offStart = subscribe('httpServerStart', (ctx) => { starts.push(ctx) })
  const offFinish = subscribe('httpServerFinish', (ctx) => { finishes.push(ctx) })
  return {
    starts,
    finishes,
    finished: (url) => waitUntil(`finish of ${url}`, () => finishes.find((f) => f.request.url === url)),
    off () { offStart(); offFinish() },
  }
}

/** The inputs of a context as `name=value` strings, sorted. */
export function inputsOf (ctx: HttpServerContext, source?: string): string[] {
  return ctx.request.inputs.filter((i) => source === undefined || i.source === source).map((i) => `${i.name}=${i.value}`).sort()
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
