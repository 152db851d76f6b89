import t from 'tap'
import type { RequestInput } from '../../src/channels'
import { detectCommandInjection } from '../../src/detectors/command-injection'
import { detectPathTraversal } from '../../src/detectors/path-traversal'
import { isSensitivePath } from '../../src/detectors/sensitive-paths'
import { detectShellInjection } from '../../src/detectors/shell-injection'
import { detectSsrf } from '../../src/detectors/ssrf'

/** A browser request's inputs: what every hooked call inside a request compares against. */
const INPUTS: RequestInput[] = [
  { name: 'headers.user-agent', value: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', source: 'headers' },
  { name: 'headers.accept', value: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', source: 'headers' },
  { name: 'headers.accept-language', value: 'en-US,en;q=0.9', source: 'headers' },
  { name: 'headers.host', value: 'shop.example.com', source: 'headers' },
  { name: 'query.page', value: '2', source: 'query' },
  { name: 'query.name', value: 'report.v2.final.pdf', source: 'query' },
  { name: 'body.user.email', value: 'alice@example.com', source: 'body' },
  { name: 'cookies.session', value: 's%3Aabc123.def456', source: 'cookies' },
]

const CALLS: Array<[string, () => unknown]> = [
  ['exec', () => detectShellInjection('convert /srv/app/public/report.v2.final.pdf out.png', INPUTS)],
  ['execFile', () => detectCommandInjection('convert', ['/srv/app/public/report.v2.final.pdf', 'out.png'], INPUTS)],
  ['fs', () => detectPathTraversal('/srv/app/public/report.v2.final.pdf', '/srv/app/public/report.v2.final.pdf', INPUTS, 'readFile')],
  ['http', () => detectSsrf('https://api.example.com/items/2?lang=en', INPUTS)],
  ['isSensitivePath', () => isSensitivePath('/srv/app/node_modules/express/index.js')],
]

t.test('benign calls with eight inputs cost microseconds', async (t) => {
  const rows: string[] = []
  for (const [sink, call] of CALLS) {
    t.equal(call(), undefined, `${sink}: nothing found`)
    for (let i = 0; i < 5000; i++) call()
    const n = 50_000
    const start = process.hrtime.bigint()
    for (let i = 0; i < n; i++) call()
    const ns = Number(process.hrtime.bigint() - start) / n
    rows.push(`${sink.padEnd(16)} ${ns.toFixed(0).padStart(7)} ns/call`)
    // Loose on purpose: shared CI machines; dd-trace's RASP spends 180–240 µs per request.
    t.ok(ns < 100_000, `${sink} under 100 µs per call`)
  }
  t.comment(rows.join('\n'))
})
