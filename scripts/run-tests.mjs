#!/usr/bin/env node
// Runs every test suite (TypeScript packages and end-to-end tests through tap; the Python and
// Ruby bridges join here as they land), streams their output, and ends with the one summary
// line CI reads: `N passed, N failed`. Exit status 1 when anything failed or a suite crashed.
import { spawn } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

const suites = [
  {
    name: 'typescript (tap)',
    command: 'npx',
    // Plain TAP (terse redraws the terminal even into a pipe); the full TAP goes to
    // .tap/report.tap, the console gets one line per test file and every failure in full.
    args: ['tap', '--reporter=tap', ...process.argv.slice(2)],
    log: '.tap/report.tap',
    env: { TS_NODE_PROJECT: 'tsconfig.test.json' },
    // tap's last words: `# { total: 419, pass: 418, fail: 1, skip: 0 }`
    parse (out) {
      const m = /# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?(?:, skip: (\d+))?(?:, todo: (\d+))?/.exec(out)
      if (m === null) return undefined
      return { passed: Number(m[2] ?? 0), failed: Number(m[3] ?? 0), skipped: Number(m[4] ?? 0) + Number(m[5] ?? 0) }
    },
  },
  {
    name: 'python bridge (unittest)',
    command: 'py-ruby-bridge/python/run-tests',
    args: [],
    log: '.tap/python.log',
    env: {},
    // its last line: `# bridge: passed=N failed=N skipped=N`
    parse (out) {
      const m = /^# bridge: passed=(\d+) failed=(\d+) skipped=(\d+)\s*$/m.exec(out.trimEnd().split('\n').pop() ?? '')
      if (m === null) return undefined
      return { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3]) }
    },
  },
  {
    name: 'ruby bridge (minitest)',
    command: 'py-ruby-bridge/ruby/run-tests',
    args: [],
    log: '.tap/ruby.log',
    env: {},
    // its last line: `# bridge: passed=N failed=N skipped=N`
    parse (out) {
      const m = /^# bridge: passed=(\d+) failed=(\d+) skipped=(\d+)\s*$/.exec(out.trimEnd().split('\n').pop() ?? '')
      if (m === null) return undefined
      return { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3]) }
    },
  },
]

/**
 * Echoes a TAP stream briefly: top-level results (one per test file), the summary comment, and
 * each failing test point with its indented YAML diagnostics.
 */
function tapEcho () {
  let failIndent = -1
  return (line) => {
    const indent = line.length - line.trimStart().length
    const body = line.trimStart()
    if (failIndent >= 0) {
      if (indent > failIndent || body === '') { console.log(line); return }
      failIndent = -1
    }
    if (body.startsWith('not ok ')) { failIndent = indent; console.log(line); return }
    if (indent === 0 && (/^ok \d+ /.test(body) || body.startsWith('# {') || body.startsWith('Bail out'))) console.log(line)
  }
}

function run (suite) {
  return new Promise((resolve) => {
    console.log(`\n=== ${suite.name} ===`)
    const child = spawn(suite.command, suite.args, { cwd: root, env: { ...process.env, ...suite.env }, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    mkdirSync(dirname(join(root, suite.log)), { recursive: true })
    const log = createWriteStream(join(root, suite.log))
    const echo = tapEcho()
    child.stdout.on('data', (chunk) => { out += chunk; log.write(chunk) })
    createInterface({ input: child.stdout }).on('line', echo)
    child.on('close', (code, signal) => {
      log.end()
      if (code !== 0) console.log(`full output: ${suite.log}`)
      const counts = suite.parse(out)
      if (counts === undefined) {
        console.log(`${suite.name}: no summary (exit ${code ?? signal}); counted as one failure`)
        resolve({ passed: 0, failed: 1, skipped: 0 })
      } else if (code !== 0 && counts.failed === 0) {
        console.log(`${suite.name}: exited ${code ?? signal} with no failed test; counted as one failure`)
        resolve({ ...counts, failed: 1 })
      } else {
        resolve(counts)
      }
    })
  })
}

const totals = { passed: 0, failed: 0, skipped: 0 }
for (const suite of suites) {
  const counts = await run(suite)
  for (const key of Object.keys(totals)) totals[key] += counts[key]
}
console.log('')
console.log(`${totals.passed} passed, ${totals.failed} failed` + (totals.skipped > 0 ? `, ${totals.skipped} skipped` : ''))
process.exit(totals.failed === 0 ? 0 : 1)
