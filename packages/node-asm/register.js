'use strict'
// Preload: node -r @sidewatch/node-asm/register app.js
// Starts the SDK before the application loads. Never lets an SDK failure stop the app.
// Only on the main thread: Node also runs preloads in worker threads and in the thread that
// runs module.register() loader hooks (tsx, import-in-the-middle, ...), and one SDK (one agent
// session) per process is what we want.
try {
  if (require('node:worker_threads').isMainThread) require('./dist/index.js').start()
} catch (err) {
  try { process.stderr.write(`sidewatch: SW_ERR_INTERNAL: could not start (${err && err.message}); the application runs without it\n`) } catch {}
}
