/**
 * Express 4 and 5: wraps `Route.prototype.dispatch` (called once a route matched, with
 * `req.params` and `req.baseUrl` set; `req.route` is that Route) to set the route template
 * (`baseUrl` + route path) and `app.handle` (every request entering an app) to register a lazy
 * reader of `req.params` and `req.body`. Bodies are parsed by middleware that may run after
 * both (route-level `express.json()`), so the reader runs when a detector reads `ctx.inputs`.
 */
import shimmer = require('shimmer')
import type { InstrumentationDefinition } from '../hook'
import { currentRequest, setRoute } from '../request-context'
import { internalError } from '../warn'
import { routeText, watchParsedInputs } from './framework-inputs'

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown
interface ExpressRequest { baseUrl?: unknown, params?: unknown, body?: unknown }

const kOriginal = Symbol('sidewatch.original')

/** The definition for Express under a package name (`express`; an alias such as `express4` in tests). */
export function expressInstrumentationFor (name: string): InstrumentationDefinition {
  return {
    name,
    builtin: false,
    patch (moduleExports: Record<string, unknown>): void {
      const route = prototypeOf(moduleExports.Route)
      if (route !== undefined) wrap(route, 'dispatch', wrapDispatch)
      const app = moduleExports.application as Record<string, unknown> | undefined
      if (app !== undefined && app !== null) wrap(app, 'handle', wrapHandle)
    },
    unpatch (moduleExports: Record<string, unknown>): void {
      const route = prototypeOf(moduleExports.Route)
      if (route !== undefined && isWrapped(route.dispatch)) shimmer.unwrap(route, 'dispatch')
      const app = moduleExports.application as Record<string, unknown> | undefined
      if (app !== undefined && app !== null && isWrapped(app.handle)) shimmer.unwrap(app, 'handle')
    },
  }
}

export const expressInstrumentation = expressInstrumentationFor('express')

export function isWrapped (fn: unknown): boolean {
  return typeof fn === 'function' && kOriginal in fn
}

/** `baseUrl` + route path: `/api` + `/users/:id`; a route `/` under a mount is the mount. */
export function joinRoute (baseUrl: unknown, path: string): string {
  const base = typeof baseUrl === 'string' ? baseUrl : ''
  if (base === '') return path
  if (path === '/' || path === '') return base
  return base.endsWith('/') && path.startsWith('/') ? base + path.slice(1) : base + path
}

function prototypeOf (fn: unknown): Record<string, unknown> | undefined {
  if (typeof fn !== 'function') return undefined
  const proto = (fn as { prototype?: Record<string, unknown> }).prototype
  return proto !== undefined && proto !== null ? proto : undefined
}

function wrap (target: Record<string, unknown>, name: string, wrapper: (original: AnyFunction) => AnyFunction): void {
  if (typeof target[name] !== 'function' || isWrapped(target[name])) return
  shimmer.wrap(target, name, (original) => {
    const wrapped = wrapper(original as AnyFunction)
    Object.defineProperty(wrapped, 'length', { value: (original as AnyFunction).length, configurable: true })
    Object.defineProperty(wrapped, kOriginal, { value: original })
    return wrapped
  })
}

function readInputs (req: object): { params: unknown, body: unknown } {
  return { params: (req as ExpressRequest).params, body: (req as ExpressRequest).body }
}

function wrapDispatch (original: AnyFunction): AnyFunction {
  return function dispatch (this: unknown, req: unknown): unknown {
    const ctx = currentRequest()
    if (ctx !== undefined && req !== null && typeof req === 'object') {
      try {
        const path = routeText((this as { path?: unknown }).path)
        if (path !== undefined) setRoute(ctx, joinRoute((req as ExpressRequest).baseUrl, path))
        watchParsedInputs(ctx, req, readInputs)
      } catch (err) {
        internalError('reading an Express route', err)
      }
    }
    return original.apply(this, arguments as unknown as unknown[])
  }
}

function wrapHandle (original: AnyFunction): AnyFunction {
  return function handle (this: unknown, req: unknown): unknown {
    const ctx = currentRequest()
    if (ctx !== undefined && req !== null && typeof req === 'object') {
      try {
        watchParsedInputs(ctx, req, readInputs)
      } catch (err) {
        internalError('watching an Express request', err)
      }
    }
    return original.apply(this, arguments as unknown as unknown[])
  }
}
