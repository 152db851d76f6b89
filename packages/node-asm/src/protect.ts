/**
 * Runtime protection: detectors subscribe to the `start` channel of each sink and judge the call
 * against the inputs of the request it runs for. A finding becomes an `attack` event; in block
 * mode the call is stopped before it happens (`ctx.abort`, which the instrumentation turns into
 * the error that API reports) and the request is answered 403.
 */
import type { Mode, SidewatchEvent } from '@sidewatch/proto'
import { firstAppFrame } from './app-frame'
import { blockCurrentRequest } from './block-response'
import { subscribe, type FsApi, type RequestContext } from './channels'
import { detectCommandInjection, detectPathTraversal, detectShellInjection, detectSsrf, type Finding } from './detectors'
import { BlockedError } from './errors'
import { currentRequest } from './request-context'
import { attackEvent } from './reporter/events-attack'
import type { Identity } from './reporter/envelope'

export interface ProtectOptions {
  identity: Identity
  report: (event: SidewatchEvent) => void
  mode: () => Mode
}

/** Subscribes the detectors; returns the function that unsubscribes them. */
export function protect ({ identity, report, mode }: ProtectOptions): () => void {
  const judge = (finding: Finding, sink: string, request: RequestContext, ctx: { abort?: Error, attack?: string }): void => {
    const block = mode() === 'block'
    ctx.attack = finding.class
    request.notable = true
    if (block) {
      ctx.abort = new BlockedError(finding.class, sink)
      blockCurrentRequest()
    }
    report(attackEvent(identity, finding, sink, request, firstAppFrame(), block))
  }
  const unsubscribers = [
    subscribe('childProcessStart', (ctx) => {
      const request = currentRequest()
      if (request === undefined) return
      const inputs = request.inputs
      const finding = ctx.shell
        ? detectShellInjection(ctx.command_line, inputs)
        : detectCommandInjection(ctx.file, ctx.args, inputs)
      if (finding !== undefined) judge(finding, `child_process.${ctx.method}`, request, ctx)
    }),
    subscribe('fsStart', (ctx) => {
      const request = currentRequest()
      if (request === undefined) return
      const finding = detectPathTraversal(ctx.path, ctx.resolved, request.inputs, ctx.op)
      if (finding !== undefined) judge(finding, fsSink(ctx.op, ctx.api), request, ctx)
    }),
    subscribe('httpClientStart', (ctx) => {
      const request = currentRequest()
      if (request === undefined) return
      const finding = detectSsrf(ctx.url, request.inputs)
      if (finding !== undefined) judge(finding, `${ctx.api}.request`, request, ctx)
    }),
  ]
  return () => { for (const unsubscribe of unsubscribers) unsubscribe() }
}

/** The fs function as the app called it: `fs.readFileSync`, `fs.promises.readFile`, `fs.createReadStream`. */
function fsSink (op: string, api: FsApi): string {
  if (api === 'sync') return `fs.${op}Sync`
  if (api === 'promise') return `fs.promises.${op}`
  return `fs.${op}`
}
