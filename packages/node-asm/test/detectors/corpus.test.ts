import t from 'tap'
import { readFileSync } from 'node:fs'
import { posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RequestInput } from '../../src/channels'
import { detectCommandInjection } from '../../src/detectors/command-injection'
import type { AttackClass, Finding } from '../../src/detectors/finding'
import { detectPathTraversal } from '../../src/detectors/path-traversal'
import { detectShellInjection } from '../../src/detectors/shell-injection'
import { detectSsrf } from '../../src/detectors/ssrf'

interface Build {
  template?: string
  file?: string
  args?: string[]
  base?: string
  join?: boolean
  resolve?: boolean
  concat?: boolean
  whole?: boolean
  fileUrl?: boolean
  home?: boolean
  url?: string
  decode?: boolean
  encode?: boolean
  quote?: boolean
  op?: string
  path_override?: string
}

interface Case {
  id: string
  class: AttackClass
  sink: 'exec' | 'execFile' | 'fs' | 'http'
  input: RequestInput
  build: Build
  comment: string
}

const CLASSES: AttackClass[] = ['shell_injection', 'command_injection', 'path_traversal', 'ssrf']
/** Every request carries other inputs; they come first so that a decoy firing shows up as the wrong input. */
const DECOYS: RequestInput[] = [
  { name: 'headers.accept', value: '*/*', source: 'headers' },
  { name: 'query.page', value: '1', source: 'query' },
]
const CWD = '/srv/app'

function load (name: string): Case[] {
  const url = new URL(`../corpus/${name}.json`, `file://${__filename}`)
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: Case[] }).cases
}

/** The value as the app's code holds it when it builds the sink argument. */
function appValue (c: Case): string {
  let v = c.input.value
  if (c.build.decode === true) v = decodeURIComponent(v)
  if (c.build.encode === true) v = encodeURIComponent(v)
  if (c.build.quote === true) v = `'${v.replaceAll('\'', '\'\\\'\'')}'`
  return v
}

const fill = (template: string, v: string): string => template.split('{}').join(v)

function fsPath (b: Build, v: string): string {
  if (b.path_override !== undefined) return b.path_override
  const base = b.base ?? CWD
  if (b.join === true) return posix.join(base, v)
  if (b.resolve === true) return posix.resolve(base, v)
  if (b.concat === true) return base + v
  if (b.fileUrl === true) return fileURLToPath(new URL(v))
  if (b.home === true) return v.replace(/^~/, '/root')
  return v
}

/** Runs the sink's detector on the argument the app would pass. */
function run (c: Case): Finding | undefined {
  const v = appValue(c)
  const inputs = [...DECOYS, c.input]
  const b = c.build
  switch (c.sink) {
    case 'exec': return detectShellInjection(fill(b.template as string, v), inputs)
    case 'execFile': return detectCommandInjection(fill(b.file as string, v), (b.args ?? []).map((a) => fill(a, v)), inputs)
    case 'fs': {
      const path = fsPath(b, v)
      return detectPathTraversal(path, posix.resolve(CWD, path), inputs, b.op ?? 'readFile')
    }
    case 'http': return detectSsrf(new URL(fill(b.url as string, v)).href, inputs)
  }
}

const attacks = load('attacks')
const benign = load('benign')
const detected = new Map<AttackClass, [number, number]>(CLASSES.map((k) => [k, [0, 0]]))
const flagged = new Map<AttackClass, [number, number]>(CLASSES.map((k) => [k, [0, 0]]))

t.test('every attack is found, with its class and input', async (t) => {
  for (const c of attacks) {
    const finding = run(c)
    const ok = finding?.class === c.class && finding.input.name === c.input.name
    const tally = detected.get(c.class) as [number, number]
    tally[1]++
    if (ok) tally[0]++
    t.ok(ok, `${c.id}: ${c.comment}`, { found: finding })
  }
})

t.test('no benign case is found', async (t) => {
  for (const c of benign) {
    const finding = run(c)
    const tally = flagged.get(c.class) as [number, number]
    tally[1]++
    if (finding !== undefined) tally[0]++
    t.equal(finding, undefined, `${c.id}: ${c.comment}`)
  }
})

t.test('corpus size and rates', async (t) => {
  t.ok(attacks.length >= 120 && benign.length >= 120, `${attacks.length} attacks, ${benign.length} benign`)
  const rows = ['class              attacks  detected  benign  false positives']
  for (const k of CLASSES) {
    const [hit, total] = detected.get(k) as [number, number]
    const [fp, clean] = flagged.get(k) as [number, number]
    t.ok(total >= 30, `${k}: at least 30 attacks`)
    const pct = (n: number, d: number): string => `${d === 0 ? 0 : (100 * n / d).toFixed(1)}%`
    rows.push(`${k.padEnd(18)} ${String(total).padStart(7)}  ${pct(hit, total).padStart(8)}  ${String(clean).padStart(6)}  ${pct(fp, clean).padStart(15)}`)
  }
  t.comment(rows.join('\n'))
})
