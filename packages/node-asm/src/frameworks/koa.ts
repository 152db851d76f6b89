/**
 * Koa 2/3: wraps `Application.prototype.createContext` (once per request, before any
 * middleware) to register a lazy reader of the Koa context: `ctx._matchedRoute` (set by
 * @koa/router when a route matched) becomes the route, `ctx.params` the params and
 * `ctx.request.body` (@koa/bodyparser, koa-body) the body, read when a detector looks.
 */
import shimmer = require('shimmer')
import type { RequestContext } from '../channels'
import type { InstrumentationDefinition } from '../hook'
import { addInputReader, addInputs, addRouteReader, currentRequest, setRoute } from '../request-context'
import { internalError } from '../warn'
import { routeText } from './framework-inputs'

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown
interface KoaContext { _matchedRoute?: unknown, params?: unknown, request?: { body?: unknown } }

const kOriginal = Symbol('sidewatch.original')

export const koaInstrumentation: InstrumentationDefinition = {
  name: 'koa',
  builtin: false,
  patch (moduleExports: Record<string, unknown>): void {
    const proto = (moduleExports as unknown as { prototype?: Record<string, unknown> }).prototype
    if (proto === undefined || typeof proto.createContext !== 'function' || isWrapped(proto.createContext)) return
    shimmer.wrap(proto, 'createContext', (original) => {
      const wrapped = wrapCreateContext(original as AnyFunction)
      Object.defineProperty(wrapped, kOriginal, { value: original })
      return wrapped
    })
  },
  unpatch (moduleExports: Record<string, unknown>): void {
    const proto = (moduleExports as unknown as { prototype?: Record<string, unknown> }).prototype
    if (proto !== undefined && isWrapped(proto.createContext)) shimmer.unwrap(proto, 'createContext')
  },
}

export function isWrapped (fn: unknown): boolean {
  return typeof fn === 'function' && kOriginal in fn
}

function wrapCreateContext (original: AnyFunction): AnyFunction {
  return function createContext (this: unknown): unknown {
    const koaCtx = original.apply(this, arguments as unknown as unknown[])
    const ctx = currentRequest()
    if (ctx !== undefined && koaCtx !== null && typeof koaCtx === 'object') {
      try {
        addInputReader(ctx, koaInputReader(koaCtx as KoaContext))
        addRouteReader(ctx, (c) => {
          const route = routeText((koaCtx as KoaContext)._matchedRoute)
          if (route !== undefined) setRoute(c, route)
        })
      } catch (err) {
        internalError('watching a Koa context', err)
      }
    }
    return koaCtx
  }
}

function koaInputReader (koaCtx: KoaContext): (ctx: RequestContext) => void {
  let params: unknown
  let body: unknown
  return (ctx) => {
    if (koaCtx.params !== params) {
      params = koaCtx.params
      if (params !== null && typeof params === 'object') addInputs(ctx, 'params', params)
    }
    const now = koaCtx.request?.body
    if (now !== body) {
      body = now
      if (body !== undefined && body !== null) addInputs(ctx, 'body', body)
    }
  }
}
