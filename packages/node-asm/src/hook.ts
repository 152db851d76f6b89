/**
 * Loader hooks: where an instrumentation definition meets the module it patches.
 *
 * A definition is a symmetric patch/unpatch pair for one module (OpenTelemetry's
 * InstrumentationNodeModuleDefinition shape). Nothing happens when a definition or an
 * Instrumentations object is made; `enable()` patches, `disable()` undoes exactly that.
 *
 * - Builtins (child_process, fs, http, ...) are singletons: enable() requires and patches the
 *   module object right away, so code that loaded it before us is covered too, then calls
 *   `syncBuiltinESMExports()` so ESM named imports (`import { spawn } from 'node:child_process'`)
 *   see the wrappers. Run from a preload (`-r` / `--import`) this happens before the app imports.
 * - Userland packages (express, undici, ...) go through require-in-the-middle, which calls the
 *   definition as each is first required; it is loaded only when such a definition exists.
 * - ESM `import` of userland packages does not go through require: when the ESM preload
 *   (register.mjs) has registered import-in-the-middle's loader for these package names, an
 *   import-in-the-middle Hook patches them as they are imported (a CommonJS package's exports are
 *   the namespace's `default`).
 */
import Module = require('node:module')
import type { Hook } from 'require-in-the-middle'
import { internalError } from './warn'

/** Set by register.mjs once import-in-the-middle's loader is registered for the userland names. */
export const ESM_LOADER = Symbol.for('sidewatch.node-asm.esm-loader')

export interface InstrumentationDefinition {
  /** Module name as required: `child_process` for builtins (without `node:`), or a package name. */
  name: string
  builtin: boolean
  /** Wraps the module's functions in place. Must be idempotent (an "is wrapped" guard per function). */
  patch (moduleExports: Record<string, unknown>): void
  /** Restores what `patch` wrapped, and only that. */
  unpatch (moduleExports: Record<string, unknown>): void
}

export class Instrumentations {
  readonly #definitions: readonly InstrumentationDefinition[]
  #hook: Hook | undefined
  #esmHook: { unhook: () => void } | undefined
  /**
   * Every (module object, definition) patched, in order, so disable() can undo them all: one
   * module may be patched by several definitions (http: the server and the client side).
   */
  #patched: Array<[Record<string, unknown>, InstrumentationDefinition]> = []
  #enabled = false

  constructor (definitions: readonly InstrumentationDefinition[]) {
    this.#definitions = definitions
  }

  get enabled (): boolean {
    return this.#enabled
  }

  enable (): void {
    if (this.#enabled) return
    this.#enabled = true
    let builtins = false
    for (const def of this.#definitions) {
      if (!def.builtin) continue
      let moduleExports: Record<string, unknown>
      try {
        moduleExports = require(def.name) as Record<string, unknown>
      } catch (err) {
        internalError(`loading ${def.name}`, err)
        continue
      }
      this.#apply(def, moduleExports)
      builtins = true
    }
    if (builtins) syncBuiltinESMExports()
    const userland = this.#definitions.filter((d) => !d.builtin)
    if (userland.length > 0) {
      // Loaded only when needed: it patches Module.prototype.require, which every require then pays for.
      const { Hook } = require('require-in-the-middle') as typeof import('require-in-the-middle')
      this.#hook = new Hook(userland.map((d) => d.name), (moduleExports, name) => {
        const def = userland.find((d) => d.name === name)
        if (def !== undefined && this.#enabled) this.#apply(def, moduleExports as Record<string, unknown>)
        return moduleExports
      })
      if ((globalThis as Record<symbol, unknown>)[ESM_LOADER] === true) this.#hookEsm(userland)
    }
  }

  #hookEsm (userland: readonly InstrumentationDefinition[]): void {
    try {
      const { Hook } = require('import-in-the-middle') as { Hook: new (modules: string[], fn: (ns: Record<string, unknown>, name: string) => void) => { unhook: () => void } }
      this.#esmHook = new Hook(userland.map((d) => d.name), (namespace, name) => {
        const def = userland.find((d) => d.name === name)
        const target = (namespace.default ?? namespace) as Record<string, unknown>
        if (def !== undefined && this.#enabled) this.#apply(def, target)
      })
    } catch (err) {
      internalError('hooking ES module imports', err)
    }
  }

  disable (): void {
    if (!this.#enabled) return
    this.#enabled = false
    this.#hook?.unhook()
    this.#hook = undefined
    this.#esmHook?.unhook()
    this.#esmHook = undefined
    for (const [moduleExports, def] of this.#patched.reverse()) {
      try { def.unpatch(moduleExports) } catch (err) { internalError(`unpatching ${def.name}`, err) }
    }
    this.#patched = []
    syncBuiltinESMExports()
  }

  #apply (def: InstrumentationDefinition, moduleExports: Record<string, unknown>): void {
    if (moduleExports === null || (typeof moduleExports !== 'object' && typeof moduleExports !== 'function')) return
    try {
      def.patch(moduleExports)
      if (!this.#patched.some(([m, d]) => m === moduleExports && d === def)) this.#patched.push([moduleExports, def])
    } catch (err) {
      internalError(`patching ${def.name}`, err)
    }
  }
}

function syncBuiltinESMExports (): void {
  try { Module.syncBuiltinESMExports() } catch (err) { internalError('syncBuiltinESMExports', err) }
}
