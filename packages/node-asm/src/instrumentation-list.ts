/**
 * Every instrumentation the SDK enables, in one list: builtins are patched at start (undici's
 * is a subscription to the diagnostics channels that both npm undici and the global fetch
 * publish on), userland frameworks when the application first requires them.
 */
import type { InstrumentationDefinition } from './hook'
import { childProcessInstrumentation } from './instrumentations/child_process'
import { fsInstrumentation } from './instrumentations/fs'
import { httpClientInstrumentation } from './instrumentations/http-client'
import { httpServerInstrumentations } from './instrumentations/http-server'
import { undiciInstrumentation } from './instrumentations/undici'
import { expressInstrumentation } from './frameworks/express'
import { fastifyInstrumentation } from './frameworks/fastify'
import { koaInstrumentation } from './frameworks/koa'

export const INSTRUMENTATIONS: readonly InstrumentationDefinition[] = [
  childProcessInstrumentation,
  fsInstrumentation,
  httpClientInstrumentation,
  ...httpServerInstrumentations,
  undiciInstrumentation,
  expressInstrumentation,
  fastifyInstrumentation,
  koaInstrumentation,
]

/** Packages patched when loaded (not builtins): what the ESM loader hook must intercept. */
export const USERLAND_MODULES: readonly string[] = INSTRUMENTATIONS.filter((d) => !d.builtin).map((d) => d.name)
