/**
 * Fastify 4.x/5: Fastify announces each instance on the diagnostics channel
 * `fastify.initialization`; we add one root `onRequest` hook there (so it applies to every
 * route and plugin) that sets the route template (`request.routeOptions.url`) and registers a
 * lazy reader of `request.params` and `request.body` (parsed after onRequest). No Fastify
 * function is wrapped. The hooks of instances made while enabled stay, but do nothing once
 * the definition is unpatched.
 */
import type { InstrumentationDefinition } from '../hook'
import { currentRequest, setRoute } from '../request-context'
import { internalError } from '../warn'
import { watchParsedInputs } from './framework-inputs'

const dc: typeof import('node:diagnostics_channel') = require('dc-polyfill')

interface FastifyRequest { routeOptions?: { url?: unknown }, params?: unknown, body?: unknown }
interface FastifyInstance { addHook (name: string, fn: (request: unknown, reply: unknown, done: () => void) => void): unknown }

const INIT_CHANNEL = 'fastify.initialization'
const patched = new Set<object>()

export const fastifyInstrumentation: InstrumentationDefinition = {
  name: 'fastify',
  builtin: false,
  patch (moduleExports: Record<string, unknown>): void {
    if (patched.has(moduleExports)) return
    patched.add(moduleExports)
    if (patched.size === 1) dc.subscribe(INIT_CHANNEL, onInitialization)
  },
  unpatch (moduleExports: Record<string, unknown>): void {
    if (!patched.delete(moduleExports)) return
    if (patched.size === 0) dc.unsubscribe(INIT_CHANNEL, onInitialization)
  },
}

function onInitialization (message: unknown): void {
  try {
    const fastify = (message as { fastify?: FastifyInstance } | null)?.fastify
    if (fastify !== undefined && typeof fastify.addHook === 'function') fastify.addHook('onRequest', onRequest)
  } catch (err) {
    internalError('hooking a Fastify instance', err)
  }
}

function readInputs (request: object): { params: unknown, body: unknown } {
  return { params: (request as FastifyRequest).params, body: (request as FastifyRequest).body }
}

function onRequest (request: unknown, _reply: unknown, done: () => void): void {
  const ctx = patched.size > 0 ? currentRequest() : undefined
  if (ctx !== undefined && request !== null && typeof request === 'object') {
    try {
      const url = (request as FastifyRequest).routeOptions?.url
      if (typeof url === 'string') setRoute(ctx, url)
      watchParsedInputs(ctx, request, readInputs)
    } catch (err) {
      internalError('reading a Fastify route', err)
    }
  }
  done()
}
