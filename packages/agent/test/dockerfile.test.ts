// packages/agent/Dockerfile cannot be built here (no Docker): this reads it as Docker would and
// checks what can be checked without building. Every path COPY takes from the context exists in
// the repository and gets through Dockerfile.dockerignore; every path taken from the build stage
// is there or is what the build makes (node_modules, a package's dist); the entry point's
// program and script resolve to real files; the command and flags are ones `run` takes; the
// health check is the one the task definitions use; the runtime runs as a non-root user.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, posix, relative, resolve } from 'node:path'
import t from 'tap'
import { RUN_USAGE } from '../src/commands/run'
import { AGENT_UID } from '../src/deploy/pod-inject'
import { HEALTH_CHECK_COMMAND } from '../src/deploy/sidecar'

const ROOT = resolve(__dirname, '..', '..', '..')
const DOCKERFILE = readFileSync(join(ROOT, 'packages', 'agent', 'Dockerfile'), 'utf8')
const IGNORE = readFileSync(join(ROOT, 'packages', 'agent', 'Dockerfile.dockerignore'), 'utf8')

interface Instruction { op: string, args: string, line: number }
interface Stage { name: string | undefined, from: string, instructions: Instruction[] }

/** Instructions (continuation lines joined, comments dropped) grouped by stage. */
function parseDockerfile (text: string): Stage[] {
  const stages: Stage[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const start = i
    let line = lines[i] as string
    if (/^\s*(#|$)/.test(line)) continue
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${(lines[++i] as string).trim()}`
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line)
    if (m === null) throw new Error(`Dockerfile line ${start + 1}: cannot read ${JSON.stringify(line)}`)
    const op = (m[1] as string).toUpperCase()
    const args = (m[2] as string).trim()
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)
      stages.push({ from: from?.[1] as string, name: from?.[2], instructions: [] })
      continue
    }
    const stage = stages[stages.length - 1]
    if (stage === undefined) throw new Error(`Dockerfile line ${start + 1}: ${op} before FROM`)
    stage.instructions.push({ op, args, line: start + 1 })
  }
  return stages
}

/** `intoDir`: the destination is a directory the sources go into (ends in /, or several sources). */
interface Copy { from: string | undefined, sources: string[], dest: string, intoDir: boolean, line: number }

function copiesOf (stage: Stage): Array<Copy & { workdir: string }> {
  const out: Array<Copy & { workdir: string }> = []
  let workdir = '/'
  for (const ins of stage.instructions) {
    if (ins.op === 'WORKDIR') workdir = posix.resolve(workdir, ins.args)
    if (ins.op !== 'COPY') continue
    const words = ins.args.split(/\s+/)
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length)
    const paths = words.filter((w) => !w.startsWith('--'))
    const dest = paths[paths.length - 1] as string
    out.push({ from, sources: paths.slice(0, -1), dest: posix.resolve(workdir, dest), intoDir: dest.endsWith('/') || dest === '.' || paths.length > 2, line: ins.line, workdir })
  }
  return out
}

/** The .dockerignore rules (last match wins; `!` includes again). */
function ignored (path: string): boolean {
  let out = false
  for (const raw of IGNORE.split('\n')) {
    const rule = raw.trim()
    if (rule === '' || rule.startsWith('#')) continue
    const include = rule.startsWith('!')
    const pattern = include ? rule.slice(1) : rule
    const re = new RegExp(`^${pattern.split('**').map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')).join('.*')}(/.*)?$`)
    if (re.test(path)) out = !include
  }
  return out
}

function filesUnder (dir: string): string[] {
  const abs = join(ROOT, dir)
  if (!statSync(abs).isDirectory()) return [dir]
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .filter((p) => !p.split('/').includes('node_modules') && !p.split('/').includes('dist'))
}

/** What the build stage makes that is not in the repository. */
function builtInStage (path: string): boolean {
  if (path === 'node_modules' || path.startsWith('node_modules/')) return existsSync(join(ROOT, 'package-lock.json'))
  const dist = /^(packages\/[^/]+)\/dist(\/|$)/.exec(path)
  if (dist !== null) return (JSON.parse(readFileSync(join(ROOT, dist[1] as string, 'tsconfig.json'), 'utf8')) as { compilerOptions?: { outDir?: string } }).compilerOptions?.outDir === 'dist'
  return false
}

const stages = parseDockerfile(DOCKERFILE)
const build = stages.find((s) => s.name === 'build') as Stage
const runtime = stages[stages.length - 1] as Stage

/** The build stage copies the repository into its WORKDIR: `/src/x` there is `x` here. */
function buildPathToRepo (path: string): string {
  const workdir = copiesOf(build)[0]?.workdir as string
  if (!path.startsWith(`${workdir}/`)) throw new Error(`${path} is outside the build stage's ${workdir}`)
  return path.slice(workdir.length + 1)
}

/** A path in the runtime image → the repository path (or build output) it was copied from. */
function runtimePathToRepo (path: string): string | undefined {
  let best: { base: string, source: string } | undefined
  for (const copy of copiesOf(runtime)) {
    for (const source of copy.sources) {
      const base = copy.intoDir ? posix.join(copy.dest, posix.basename(source)) : copy.dest
      if ((path === base || path.startsWith(`${base}/`)) && base.length > (best?.base.length ?? -1)) best = { base, source }
    }
  }
  return best === undefined ? undefined : buildPathToRepo(best.source + path.slice(best.base.length))
}

/** The JSON array of an exec-form ENTRYPOINT, CMD or HEALTHCHECK ... CMD. */
const execForm = (ins: Instruction | undefined): string[] => JSON.parse((ins?.args ?? '').slice((ins?.args ?? '').indexOf('['))) as string[]

t.test('two stages: a build stage and a small runtime', async (t) => {
  t.equal(stages.length, 2)
  t.ok(build !== undefined, 'a stage named build')
  t.match(runtime.from, /^node:20-[a-z]+-slim$/, 'a slim Node 20 runtime')
  const runs = runtime.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n')
  t.match(runs, /libpcap0\.8/, 'libpcap in the runtime')
  t.notMatch(runs, /build-essential|libpcap-dev|python3/, 'no compilers or headers in the runtime')
  const setcaps = [...runs.matchAll(/setcap (\S+) (\S+)/g)].map((m) => [m[2], m[1]])
  t.same(setcaps, [['/usr/local/bin/sidewatch-node', 'cap_net_raw+ep'], ['/usr/local/bin/sidewatch-node-ptrace', 'cap_net_raw,cap_sys_ptrace+ep']], 'NET_RAW, and SYS_PTRACE, on the agent\'s own copies of node')
  t.match(DOCKERFILE, /CAP_NET_RAW/, 'the capabilities are explained')
  t.match(DOCKERFILE, /CAP_SYS_PTRACE/)
})

t.test('every COPY from the context exists in the repository and passes the ignore file', async (t) => {
  for (const stage of stages) {
    for (const copy of copiesOf(stage).filter((c) => c.from === undefined)) {
      for (const source of copy.sources) {
        t.ok(existsSync(join(ROOT, source)), `line ${copy.line}: ${source} exists`)
        const files = filesUnder(source)
        const through = files.filter((f) => !ignored(f))
        t.ok(through.length > 0, `line ${copy.line}: ${source} is not all ignored`)
        if (source.endsWith('.json')) t.notOk(ignored(source), `line ${copy.line}: ${source} gets through`)
      }
    }
  }
  t.notOk(ignored('packages/agent/src/cli.ts'), 'the agent\'s sources go in')
  t.notOk(ignored('packages/agent/rules/00-base.yaml'), 'the rules go in')
  t.ok(ignored('packages/agent/node_modules/x'), 'node_modules stays out')
  t.ok(ignored('.git/config'), '.git stays out')
  t.ok(ignored('examples/shop/server.js'), 'what the image does not need stays out')
})

t.test('every COPY from the build stage is in the repository or made by the build', async (t) => {
  for (const copy of copiesOf(runtime)) {
    t.equal(copy.from, 'build', `line ${copy.line}: the runtime copies only from the build stage`)
    for (const source of copy.sources) {
      const path = buildPathToRepo(source)
      t.ok(existsSync(join(ROOT, path)) || builtInStage(path), `line ${copy.line}: ${path}`)
      if (!builtInStage(path)) {
        const context = copiesOf(build).some((c) => c.sources.some((s) => path === s || path.startsWith(`${s}/`)))
        t.ok(context, `line ${copy.line}: ${path} was copied into the build stage`)
      }
    }
  }
})

t.test('the entry point resolves to real files and runs `sidewatch-agent run`', async (t) => {
  const [program, command] = execForm(runtime.instructions.find((i) => i.op === 'ENTRYPOINT'))
  t.equal(program, '/usr/local/bin/sidewatch-agent', 'sidewatch-agent, also on PATH for ECS Exec')
  t.equal(command, 'run')
  const launcher = runtimePathToRepo(program as string) as string
  t.equal(launcher, 'packages/agent/docker/sidewatch-agent.sh')
  t.ok((statSync(join(ROOT, launcher)).mode & 0o111) !== 0, 'the launcher is executable')
  const text = readFileSync(join(ROOT, launcher), 'utf8')
  const runs = runtime.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n')
  for (const node of [...text.matchAll(/^\s*node=(\S+)$/gm)].map((m) => m[1] as string)) {
    if (node === '/usr/local/bin/node') continue // the base image's
    t.match(runs, new RegExp(`cp /usr/local/bin/node ${node}(\\s|$)`), `${node} is made from the image's node`)
  }
  const script = /exec "\$node" (\S+)/.exec(text)?.[1] as string
  t.equal(runtimePathToRepo(script), 'packages/agent/bin/sidewatch-agent.js')
  t.match(readFileSync(join(ROOT, 'packages/agent/bin/sidewatch-agent.js'), 'utf8'), /require\('\.\.\/dist\/cli\.js'\)/)
  t.equal(runtimePathToRepo(posix.join(posix.dirname(script), '..', 'dist', 'cli.js')), 'packages/agent/dist/cli.js', 'the script\'s ../dist/cli.js is copied in')

  const cmd = execForm(runtime.instructions.find((i) => i.op === 'CMD'))
  for (const word of cmd.filter((w) => w.startsWith('--'))) t.match(RUN_USAGE, new RegExp(`^\\s+${word}\\s`, 'm'), `run takes ${word}`)
  const health = execForm(runtime.instructions.find((i) => i.op === 'HEALTHCHECK'))
  t.same(health, HEALTH_CHECK_COMMAND, 'the same health check as the task definitions')
  t.match(HEALTH_CHECK_COMMAND.join(' '), cmd[cmd.indexOf('--metrics') + 1] as string, 'it asks where --metrics serves')
})

t.test('the runtime runs as a non-root user', async (t) => {
  const users = runtime.instructions.filter((i) => i.op === 'USER').map((i) => i.args)
  t.equal(users.length, 1)
  t.notMatch(users[0], /^(root|0)(:|$)/)
  const runs = runtime.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n')
  t.match(runs, new RegExp(`useradd .*--uid ${AGENT_UID} .*${users[0] as string}`), `the user is created with uid ${AGENT_UID}, the pod spec's runAsUser`)
  t.ok(runtime.instructions.findIndex((i) => i.op === 'USER') < runtime.instructions.findIndex((i) => i.op === 'ENTRYPOINT'), 'before the entry point')
})

const canSetBounding = process.getuid?.() === 0 && ['/usr/bin/setpriv', '/bin/setpriv'].some((p) => existsSync(p))
t.test('the launcher picks the node copy whose capabilities the bounding set holds', { skip: canSetBounding ? false : 'needs root and setpriv(1) to change the bounding set' }, async (t) => {
  // The launcher with its paths moved here: each "node" prints its own name.
  const dir = t.testdir({})
  let text = readFileSync(join(ROOT, 'packages/agent/docker/sidewatch-agent.sh'), 'utf8')
  text = text.replaceAll('/usr/local/bin/', `${dir}/`).replaceAll('/opt/sidewatch/', `${ROOT}/`)
  writeFileSync(join(dir, 'launcher'), text, { mode: 0o755 })
  for (const name of ['node', 'sidewatch-node', 'sidewatch-node-ptrace']) writeFileSync(join(dir, name), `#!/bin/sh\necho ${name} "$@"\n`, { mode: 0o755 })
  const run = (...setpriv: string[]): string => execFileSync('setpriv', [...setpriv, join(dir, 'launcher'), 'run', '--proc', 'on'], { encoding: 'utf8' }).trim()
  const script = join(ROOT, 'packages/agent/bin/sidewatch-agent.js')
  t.equal(run('--bounding-set', '+all'), `sidewatch-node-ptrace ${script} run --proc on`, 'both: the copy with both')
  t.equal(run('--bounding-set', '-sys_ptrace'), `sidewatch-node ${script} run --proc on`, 'NET_RAW only')
  t.equal(run('--bounding-set', '-net_raw'), `node ${script} run --proc on`, 'no NET_RAW: plain node, so exec never fails')
  t.equal(run('--bounding-set', '-all'), `node ${script} run --proc on`)
})
