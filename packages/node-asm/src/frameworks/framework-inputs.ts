/**
 * What frameworks parse late (the route params and the body), watched on their request object.
 * Kept in the request's context (not on the framework's object): see addParsedSource.
 */
import type { RequestContext } from '../channels'
import { addParsedSource, type ParsedGetter } from '../request-context'

/** `get` returns where the framework keeps params and body on `holder` (req, request, ctx). */
export function watchParsedInputs (ctx: RequestContext, holder: object, get: ParsedGetter): void {
  addParsedSource(ctx, holder, get)
}

/** A route template as a string: arrays joined with `,`, regular expressions as their source. */
export function routeText (path: unknown): string | undefined {
  if (typeof path === 'string') return path
  if (path instanceof RegExp) return String(path)
  if (Array.isArray(path)) return path.map((p) => routeText(p) ?? '').join(',')
  return undefined
}
