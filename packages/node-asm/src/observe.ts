/**
 * What the SDK reports besides attacks: the reporter subscribes to the `end`/`finish` channels
 * and turns calls into events, each stamped with the id of the request it ran in.
 *
 * Volume is kept to what a security reader needs: every child process, incoming request and
 * outbound call; file-system calls only when they touch a sensitive file (credentials, keys,
 * /proc/self/environ, ...), when a detector found an attack in them, or when a request input
 * appears in the path — never the app's every read.
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import { subscribe, type FsContext, type RequestContext } from './channels'
import { isSensitivePath } from './detectors'
import { currentRequest } from './request-context'
import { execEvent } from './reporter/events'
import type { Identity } from './reporter/envelope'
import { fsEvent } from './reporter/events-fs'
import { httpRequestEvent } from './reporter/events-http'
import { httpClientEvent } from './reporter/events-http-client'

/** Input values shorter than this are too common to say a path came from them. */
const MIN_INPUT_IN_PATH = 3

export function observe (identity: Identity, report: (event: SidewatchEvent) => void): () => void {
  const unsubscribers = [
    subscribe('childProcessEnd', (ctx) => { report(execEvent(identity, ctx, currentRequest()?.id)) }),
    subscribe('httpServerFinish', (ctx) => { report(httpRequestEvent(identity, ctx)) }),
    subscribe('httpClientEnd', (ctx) => { report(httpClientEvent(identity, ctx, currentRequest()?.id)) }),
    subscribe('fsEnd', (ctx) => {
      const request = currentRequest()
      if (ctx.attack !== undefined || isSensitivePath(ctx.resolved) !== undefined || reachedByInput(ctx, request)) {
        report(fsEvent(identity, ctx, request?.id))
      }
    }),
  ]
  return () => { for (const unsubscribe of unsubscribers) unsubscribe() }
}

function reachedByInput (ctx: FsContext, request: RequestContext | undefined): boolean {
  if (request === undefined) return false
  return request.inputs.some((input) => input.value.length >= MIN_INPUT_IN_PATH && ctx.path.includes(input.value))
}
