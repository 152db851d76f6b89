// Preload for ESM apps: node --import @sidewatch/node-asm/register app.mjs
// Same as register.js, plus import-in-the-middle's loader for the frameworks the SDK instruments
// (express, fastify, koa), so `import express from 'express'` is patched like require('express').
// Patching here, before the app's imports are evaluated, is also what lets
// `import { spawn } from 'node:child_process'` see the wrapped functions.
import { createRequire, register } from 'node:module'
import { isMainThread } from 'node:worker_threads'

const require = createRequire(import.meta.url)
try {
  if (isMainThread) {
    const { USERLAND_MODULES } = require('./dist/instrumentation-list.js')
    const { ESM_LOADER } = require('./dist/hook.js')
    try {
      register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include: [...USERLAND_MODULES] } })
      globalThis[ESM_LOADER] = true
    } catch (err) {
      process.stderr.write(`sidewatch: SW_ERR_INTERNAL: ES module imports of ${USERLAND_MODULES.join(', ')} will not be instrumented (${err && err.message})\n`)
    }
    require('./dist/index.js').start()
  }
} catch (err) {
  try { process.stderr.write(`sidewatch: SW_ERR_INTERNAL: could not start (${err && err.message}); the application runs without it\n`) } catch {}
}
