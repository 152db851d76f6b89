/**
 * What the SDK reports besides attacks: the reporter subscribes to the `end`/`finish` channels
 * and turns calls into events, each stamped with the id of the request it ran in.
 *
 * Volume is kept to what a security reader needs: every child process, incoming request and
 * outbound call; file-system calls only when they touch a sensitive file (credentials, keys,
 * /proc/self/environ, ...) or a detector found an attack in them — never the app's every read
 * (an app serving files by name would send one event per request, ~30 µs each, for nothing).
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import { subscribe } from './channels'
import { isSensitivePath } from './detectors'
import { currentRequest } from './request-context'
import { execEvent } from './reporter/events'
import type { Identity } from './reporter/envelope'
import { fsEvent } from './reporter/events-fs'
import { httpRequestEvent } from './reporter/events-http'
import { httpClientEvent } from './reporter/events-http-client'

export function observe (identity: Identity, report: (event: SidewatchEvent) => void): () => void {
  const unsubscribers = [
    subscribe('childProcessEnd', (ctx) => { report(execEvent(identity, ctx, currentRequest()?.id)) }),
    subscribe('httpServerFinish', (ctx) => { report(httpRequestEvent(identity, ctx)) }),
    subscribe('httpClientEnd', (ctx) => { report(httpClientEvent(identity, ctx, currentRequest()?.id)) }),
    subscribe('fsEnd', (ctx) => {
      if (ctx.attack !== undefined || isSensitivePath(ctx.resolved) !== undefined) report(fsEvent(identity, ctx, currentRequest()?.id))
    }),
  ]
  return () => { for (const unsubscribe of unsubscribers) unsubscribe() }
}

