/**
 * One reader per request object for what frameworks parse late: the route params and the body.
 * It compares identities, so reading it again after nothing changed costs two property reads.
 */
import type { RequestContext } from '../channels'
import { addInputReader, addInputs, type InputReader } from '../request-context'

const kReader = Symbol('sidewatch.inputReader')

/** `get` returns where the framework keeps params and body on `holder` (req, request, ctx). */
export function watchParsedInputs (ctx: RequestContext, holder: object, get: (holder: object) => { params: unknown, body: unknown }): void {
  const target = holder as { [kReader]?: InputReader }
  let reader = target[kReader]
  if (reader === undefined) {
    let params: unknown
    let body: unknown
    reader = (c) => {
      const now = get(holder)
      if (now.params !== params) {
        params = now.params
        if (params !== null && typeof params === 'object') addInputs(c, 'params', params)
      }
      if (now.body !== body) {
        body = now.body
        if (body !== undefined && body !== null) addInputs(c, 'body', body)
      }
    }
    Object.defineProperty(target, kReader, { value: reader, configurable: true })
  }
  addInputReader(ctx, reader)
}

/** A route template as a string: arrays joined with `,`, regular expressions as their source. */
export function routeText (path: unknown): string | undefined {
  if (typeof path === 'string') return path
  if (path instanceof RegExp) return String(path)
  if (Array.isArray(path)) return path.map((p) => routeText(p) ?? '').join(',')
  return undefined
}
