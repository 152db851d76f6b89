#!/usr/bin/env node
// `npm run bench`: runs the benchmarks listed in suites.json one after another (never in
// parallel: they would measure each other), prints each one's report, and writes all results to
// .bench/results.json. Each benchmark script prints its own side-by-side table and, as its last
// stdout line, a JSON object of its figures. Run one: `npm run bench -- ingest`.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

const here = fileURLToPath(new URL('.', import.meta.url))
const suites = JSON.parse(readFileSync(join(here, 'suites.json'), 'utf8'))
const only = process.argv.slice(2)
const results = { node: process.version, cpus: (await import('node:os')).cpus().length, date: new Date().toISOString(), suites: {} }

for (const suite of suites) {
  if (only.length > 0 && !only.includes(suite.name)) continue
  console.log(`\n=== ${suite.name}: ${suite.what}`)
  const res = spawnSync(process.execPath, [join(here, suite.script)], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })
  const lines = res.stdout.trimEnd().split('\n')
  console.log(lines.slice(0, -1).join('\n'))
  try {
    results.suites[suite.name] = JSON.parse(lines.at(-1))
  } catch {
    console.log(lines.at(-1))
    console.error(`${suite.name}: no result (exit ${res.status})`)
    process.exitCode = 1
  }
}
mkdirSync(join(here, '..', '.bench'), { recursive: true })
writeFileSync(join(here, '..', '.bench', 'results.json'), JSON.stringify(results, null, 2) + '\n')
console.log('\nresults: .bench/results.json')
