/**
 * What frameworks parse late (the route params and the body), watched on their request object.
 * Kept in the request's context (not on the framework's object): see addParsedSource.
 */
export { addParsedSource as watchParsedInputs } from '../request-context'

/** A route template as a string: arrays joined with `,`, regular expressions as their source. */
export function routeText (path: unknown): string | undefined {
  if (typeof path === 'string') return path
  if (path instanceof RegExp) return String(path)
  if (Array.isArray(path)) return path.map((p) => routeText(p) ?? '').join(',')
  return undefined
}
