// Preload for ESM apps: node --import @sidewatch/node-asm/register app.mjs
// Same as register.js; patching here, before the app's imports are evaluated, is what lets
// `import { spawn } from 'node:child_process'` see the wrapped functions.
import { createRequire } from 'node:module'
import { isMainThread } from 'node:worker_threads'

const require = createRequire(import.meta.url)
try {
  if (isMainThread) require('./dist/index.js').start()
} catch (err) {
  try { process.stderr.write(`sidewatch: SW_ERR_INTERNAL: could not start (${err && err.message}); the application runs without it\n`) } catch {}
}
