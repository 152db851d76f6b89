'use strict'
// Shared by the benchmark apps: one JSON line on stdout once listening, naming the port and
// which SDK was preloaded (so a variant that silently ran without its SDK is caught).
const { sep } = require('node:path')

function ready (port) {
  const loaded = Object.keys(require.cache)
  process.stdout.write(JSON.stringify({
    port,
    pid: process.pid,
    node: process.version,
    sidewatch: loaded.some((f) => f.includes('node-asm')),
    ddtrace: loaded.some((f) => f.includes(`${sep}dd-trace${sep}`)),
    appsec: ddAppsec('DD_APPSEC_ENABLED', 'enabled'),
    rasp: ddAppsec('DD_APPSEC_RASP_ENABLED', 'rasp'),
  }) + '\n')
}
// dd-trace's resolved configuration (5.x keeps it under its environment names; older under short ones).
function ddAppsec (envName, shortName) {
  const appsec = global._ddtrace?._tracer?._config?.appsec
  if (appsec === undefined) return false
  const v = appsec[envName] ?? appsec[shortName]
  return Boolean(v !== null && typeof v === 'object' ? v.enabled : v)
}
module.exports = { ready }
