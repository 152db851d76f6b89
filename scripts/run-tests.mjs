#!/usr/bin/env node
// Runs every test suite (TypeScript packages and end-to-end tests through tap; the Python and
// Ruby bridges join here as they land), streams their output, and ends with the one summary
// line CI reads: `N passed, N failed`. Exit status 1 when anything failed or a suite crashed.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

const suites = [
  {
    name: 'typescript (tap)',
    command: 'npx',
    args: ['tap', '--reporter=terse', ...process.argv.slice(2)],
    env: { TS_NODE_PROJECT: 'tsconfig.test.json' },
    // tap's last words: `# { total: 419, pass: 418, fail: 1, skip: 0 }`
    parse (out) {
      const m = /# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?(?:, skip: (\d+))?(?:, todo: (\d+))?/.exec(out)
      if (m === null) return undefined
      return { passed: Number(m[2] ?? 0), failed: Number(m[3] ?? 0), skipped: Number(m[4] ?? 0) + Number(m[5] ?? 0) }
    },
  },
]

function run (suite) {
  return new Promise((resolve) => {
    console.log(`\n=== ${suite.name} ===`)
    const child = spawn(suite.command, suite.args, { cwd: root, env: { ...process.env, ...suite.env }, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk) => { out += chunk; process.stdout.write(chunk) })
    child.on('close', (code, signal) => {
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
