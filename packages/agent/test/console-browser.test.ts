// The console in a real browser (Debian's chromium, headless, driven by playwright-core) over a
// store a real agent filled: an attack story through the agent's socket, its rules making alerts.
// Sign in with the printed link, filter, open an alert, follow its evidence to the raw event,
// search (and a malformed query), mark a false positive and see the exception, see a new alert
// arrive live, the activity view, export. All along: no script from the data ever runs, no
// dialog opens, no request leaves the console's origin, no CSP violation is reported.
// CONSOLE_SCREENSHOTS=docs/console writes the docs' screenshots.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import Database from 'better-sqlite3'
import { chromium, type Browser, type Page } from 'playwright-core'
import { AGENT_BIN, cleanEnv, startAgent, waitFor } from './helpers/agent'
import { TestClient } from './helpers/client'
import { attackStory, XSS } from './helpers/console-fixtures'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))
const SHOTS = process.env.CONSOLE_SCREENSHOTS === undefined ? undefined : resolve(__dirname, '..', '..', '..', process.env.CONSOLE_SCREENSHOTS)

t.test('triage in a browser over a store a real agent filled', { skip: CHROMIUM === undefined ? 'no chromium (apt-get install chromium)' : false, timeout: 90_000 }, async (t) => {
  const agent = await startAgent(t)
  const client = await TestClient.greeted(agent.tcp)
  t.teardown(() => client.close())
  await client.batch(1, attackStory('b1'))
  const store = new Database(agent.db, { readonly: true })
  t.teardown(() => store.close())
  const alertCount = (): number => (store.prepare("SELECT count(*) AS n FROM events WHERE kind = 'alert'").get() as { n: number }).n
  await waitFor('the four alerts of the story in the store', () => alertCount() >= 4 || undefined)

  const child = spawn(process.execPath, [AGENT_BIN, 'console', '--db', agent.db, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() })
  t.teardown(() => { child.kill('SIGKILL') })
  const out: string[] = []
  createInterface({ input: child.stdout }).on('line', (l) => out.push(l))
  const link = await waitFor('the sign-in link', () => out.map((l) => /^sign in: (\S+)/.exec(l)?.[1]).find((l) => l !== undefined))
  const origin = new URL(link).origin

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
  t.teardown(() => browser.close())
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } })
  const page: Page = await context.newPage()
  const dialogs: string[] = []
  const offsite: string[] = []
  const consoleErrors: string[] = []
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss() })
  page.on('request', (r) => { if (!r.url().startsWith(origin)) offsite.push(r.url()) })
  page.on('console', (m) => { if (m.type() === 'error' && !/the server responded with a status of (401|400)/.test(m.text())) consoleErrors.push(m.text()) })
  const inert = async (where: string): Promise<void> => {
    t.equal(await page.evaluate(() => (globalThis as unknown as { __xss?: unknown }).__xss), undefined, `${where}: no payload ran`)
  }
  const shot = async (name: string): Promise<void> => {
    if (SHOTS === undefined) return
    mkdirSync(SHOTS, { recursive: true })
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: name !== 'alert-detail' })
  }

  t.equal((await page.goto(`${origin}/alerts`))?.status(), 401, 'no session: 401')
  t.equal((await page.goto(`${origin}/signin?token=wrong-token-wrong-token`))?.status(), 401, 'a wrong token: 401')

  // Sign in with the printed link: the list, newest first.
  await page.goto(link)
  t.equal(new URL(page.url()).pathname, '/alerts')
  const rows = page.locator('table.alerts tbody tr')
  await rows.first().waitFor()
  t.equal(await rows.count(), 4)
  t.equal(await page.locator('#alert-total').textContent(), '4')
  const rules = await page.locator('table.alerts tbody tr td:nth-child(3)').allTextContents()
  t.same([...rules].sort(), ['Command injection', 'Credentials endpoint from unexpected process', 'ECS Exec into container', 'Executable run from a temporary directory'])
  t.match(await page.locator('table.alerts tbody').textContent(), XSS[1] as string, 'payloads are shown as text')
  await inert('alert list')
  await shot('alerts')

  // Filter: critical and above, then a rule.
  await page.selectOption('select[name=priority]', 'critical')
  await Promise.all([page.waitForURL(/priority=critical/), page.click('#alert-filters button[type=submit]')])
  t.same(await page.locator('table.alerts tbody tr td:nth-child(3)').allTextContents(), ['Command injection'])
  await page.goto(`${origin}/alerts`)
  await page.selectOption('select[name=rule]', 'Executable run from a temporary directory')
  await Promise.all([page.waitForURL(/rule=Executable/), page.click('#alert-filters button[type=submit]')])
  t.equal(await rows.count(), 1)

  // Open it: why it fired, and the evidence of every layer the agent joined.
  await Promise.all([page.waitForURL(/\/alerts\/\d+$/), page.click('table.alerts tbody a')])
  t.equal(await page.locator('#alert-rule').textContent(), 'Executable run from a temporary directory')
  t.match(await page.locator('#rule-desc').textContent(), /a program run from \/tmp/)
  t.match(await page.locator('#alert-output').textContent(), /\/tmp\/\.x\/payload run from a temporary directory \(sha256 (ab){32}/)
  t.match(await page.locator('.tags').textContent(), /T1036/)
  const chain = await page.locator('ol.chain').textContent()
  t.match(chain, /\/tmp\/\.x\/payload.*sha256 (ab){32}.*\/usr\/local\/bin\/node.*sha256 (cd){32}/s, 'the process and its parent with their hashes')
  const kinds = await page.locator('section.evidence').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))
  t.same(kinds, ['process.start', 'process.start', 'process.exec', 'attack', 'http.request'], 'process, parent, SDK exec, attack input, and the HTTP request')
  t.match(await page.locator('section.evidence[data-kind="http.request"]').textContent(), /user agent\s*sqlmap "><img src=x onerror/)
  t.match(await page.locator('section.evidence[data-kind=attack]').textContent(), /input value\s*\/tmp\/\.x\/payload <script>window\.__xss=1<\/script>/)
  await inert('alert detail')
  await shot('alert-detail')

  // Follow the attack's evidence to the raw event.
  await Promise.all([page.waitForURL(/\/events\/atk-b1$/), page.click('section.evidence[data-kind=attack] a.raw')])
  const raw = JSON.parse(await page.locator('#raw-json').textContent() as string) as Record<string, any>
  t.equal(raw.attack.input.value, `/tmp/.x/payload ${XSS[0] as string}`, 'the raw event, byte for byte')
  await inert('raw event')

  // Search: words and a field term; a malformed query says what is wrong.
  await page.goto(`${origin}/search`)
  await page.fill('input[name=q]', 'kind:net.flow 169.254.169.254')
  await Promise.all([page.waitForURL(/\/search\?q=/), page.click('#search-form button[type=submit]')])
  t.equal(await page.locator('#result-count').textContent(), '1 matching event')
  t.match(await page.locator('table.events tbody').textContent(), /tcp 10\.0\.0\.5:51000 → 169\.254\.169\.254:80/)
  await page.fill('input[name=q]', 'sqlmap')
  await Promise.all([page.waitForURL(/q=sqlmap/), page.click('#search-form button[type=submit]')])
  t.match(await page.locator('#result-count').textContent(), /^[1-9]\d* matching events?$/)
  await inert('search')
  await shot('search')
  await page.fill('input[name=q]', 'payload AND (')
  await page.check('input[name=raw]')
  const bad = await Promise.all([page.waitForResponse((r) => r.url().includes('/search?')), page.click('#search-form button[type=submit]')])
  t.equal(bad[0].status(), 400)
  t.match(await page.locator('#search-error').textContent(), /SW_ERR_BAD_QUERY: search query "payload AND \(" is not valid FTS5 syntax/)

  // Decide: a false positive with a note, and the exception to add to the rule file.
  await page.goto(`${origin}/alerts?rule=${encodeURIComponent('Credentials endpoint from unexpected process')}`)
  await Promise.all([page.waitForURL(/\/alerts\/\d+$/), page.click('table.alerts tbody a')])
  const detailUrl = page.url()
  t.match(await page.locator('section.evidence[data-kind="net.flow"]').textContent(), /bytes out \(from the initiator\)\s*420 B in 5 packets.*bytes in \(from the responder\)\s*1\.3 KiB in 4 packets/s, 'bytes each way')
  await page.check('input[name=state][value=false_positive]')
  await page.fill('textarea[name=note]', `our metadata probe ${XSS[0] as string}`)
  await page.fill('input[name=who]', 'ana')
  await Promise.all([page.waitForURL(detailUrl), page.click('#decide button[type=submit]')])
  t.equal(await page.locator('#alert-state').textContent(), 'false positive')
  t.match(await page.locator('table.decisions tbody').textContent(), /ana\s*false positive\s*our metadata probe <script>/)
  const yaml = await page.locator('#exception-yaml').textContent()
  t.match(yaml, /^- rule: Credentials endpoint from unexpected process\n {2}exceptions:\n {4}- name: console_false_positive_\d+\n {6}fields:\n {8}- evt\.container\n {8}- proc\.exe\n {8}- net\.dst\n/)
  t.match(yaml, /override:\n {4}exceptions: append/)
  await inert('false positive')
  await shot('alert-false-positive')
  await page.goto(`${origin}/alerts?state=false_positive`)
  t.equal(await rows.count(), 1, 'the state filter sees the decision')

  // Live: a new alert while the list is open.
  await page.goto(`${origin}/alerts`)
  await client.batch(2, [{ id: 'atk-live', ts: new Date().toISOString(), kind: 'attack', source: 'node-asm', service: 'checkout', attack: { class: 'ssrf', sink: 'http.request', input: { name: 'query.url', value: 'http://169.254.169.254/latest/meta-data/' }, target: 'http://169.254.169.254/latest/meta-data/', blocked: true } }])
  await page.locator('#live').waitFor({ state: 'visible', timeout: 15_000 })
  t.equal(await page.locator('#live-count').textContent(), '1')
  await Promise.all([page.waitForURL(`${origin}/alerts`), page.click('#live a')])
  t.equal(await rows.count(), 5, 'the new alert is listed')

  // Activity.
  await page.goto(`${origin}/activity`)
  t.equal(await page.locator('svg.chart rect').count(), 120, 'two charts of 60 minutes')
  t.match(await page.locator('#top-destinations').textContent(), /169\.254\.169\.254:80/)
  t.match(await page.locator('#top-processes').textContent(), /\/tmp\/\.x\/payload/)
  t.match(await page.locator('#intra-task').textContent(), /10\.0\.0\.5:6379/)
  await inert('activity')
  await shot('activity')

  // Export the current list.
  await page.goto(`${origin}/alerts?priority=error`)
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('a[href^="/alerts/export.csv"]')])
  const lines = readFileSync(await csv.path(), 'utf8').trimEnd().split('\r\n')
  t.equal(lines[0], 'seq,id,ts,priority,rule,service,container,task,count,state,output')
  t.equal(lines.length, 1 + 3, 'the filtered list: three alerts of priority error or above')
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('a[href^="/alerts/export.json"]')])
  const exported = JSON.parse(readFileSync(await json.path(), 'utf8')) as Array<{ rule: string }>
  t.same(exported.map((a) => a.rule).sort(), ['Command injection', 'Executable run from a temporary directory', 'Server-side request forgery'])

  t.same(dialogs, [], 'no dialog ever opened')
  t.same(offsite, [], 'nothing fetched from another origin')
  t.same(consoleErrors, [], 'no CSP violation or script error')
})
