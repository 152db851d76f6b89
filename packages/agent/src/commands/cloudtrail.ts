/**
 * `sidewatch-agent cloudtrail PATH... [--rules FILE]...`: CloudTrail log files (or directories of
 * them, or JSON lines, or EventBridge events) through the same rules as the runtime events; the
 * alerts as JSON lines on stdout, a summary on stderr. A file or record that cannot be read is
 * reported (file and record index) and skipped; the rest is still processed, and the exit status
 * is 1 when anything was skipped.
 */
import { AgentError } from '../errors'
import { cloudTrailEvent, recordProblem } from '../cloudtrail/cloudtrail-event'
import { cloudTrailFiles, type RecordProblem, unwrap } from '../cloudtrail/read-records'
import { RecordReader, type RecordText } from '../cloudtrail/record-reader'
import { TimeOrder } from '../cloudtrail/time-order'
import type { AnyEvent } from '../rules/fields'
import { loadRules } from '../rules/load-rules'
import { RuleEngine } from '../rules/rule-engine'
import { parseCommandArgs } from './args'

export const CLOUDTRAIL_USAGE = `Usage: sidewatch-agent cloudtrail PATH... [--rules FILE|DIR]... [--no-defaults] [--state FILE]

Runs CloudTrail records through the rules (the shipped pack, then --rules) and prints each alert
as a JSON line. PATH: CloudTrail log files as delivered to S3 ({"Records": [...]}, gzip or not),
JSON lines of records or of EventBridge events, or directories of them (walked, in name order).
Files are streamed, so memory does not grow with their size. Records are taken in time order
within a window of 10,000 records (CloudTrail's files are not strictly in order); the summary
counts any record that came later than that. Unreadable files and records are reported on stderr
with the file and the record index and skipped; the exit status is then 1.
`

/** How many records wait to be put in time order (see TimeOrder). */
const ORDER_WINDOW = 10_000

export const CLOUDTRAIL_OPTIONS = {
  rules: { type: 'string', multiple: true },
  'no-defaults': { type: 'boolean' },
  state: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function cloudtrailCommand (argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('cloudtrail', { args: argv, allowPositionals: true, options: CLOUDTRAIL_OPTIONS })
  if (values.help === true) { process.stdout.write(CLOUDTRAIL_USAGE); return }
  if (positionals.length === 0) throw new AgentError('SW_ERR_USAGE', 'cloudtrail needs at least one PATH (see sidewatch-agent cloudtrail --help)')
  // The files are read on a thread of their own from now on, while the rules load.
  const { files, problems } = cloudTrailFiles(positionals)
  const reader = new RecordReader(files)
  const set = loadRules(values.rules ?? [], { defaults: values['no-defaults'] !== true })
  if (set.problems.length > 0) {
    reader.stop()
    throw new AgentError('SW_ERR_RULES', `the rules have ${set.problems.length} problem${set.problems.length === 1 ? '' : 's'}: ${set.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('; ')}`)
  }
  const engine = new RuleEngine(set, { statePath: values.state })

  let skipped = 0
  const report = (p: RecordProblem): void => {
    skipped++
    process.stderr.write(`sidewatch-agent: SW_ERR_CLOUDTRAIL: ${p.file}${p.index === undefined ? '' : ` record ${p.index}`}: ${p.message}\n`)
  }
  for (const p of problems) report(p)

  const out: string[] = []
  let alerts = 0
  const emit = (list: unknown[]): void => {
    for (const a of list) out.push(JSON.stringify(a))
    alerts += list.length
    if (out.length >= 1000) { process.stdout.write(out.join('\n') + '\n'); out.length = 0 }
  }
  let count = 0
  // Each record is parsed only when its turn comes, evaluated and let go: what waits in the
  // time-order window is text, one string per record.
  const evaluate = (r: RecordText): void => {
    let value: unknown
    try {
      value = JSON.parse(r.text)
    } catch (err) {
      report({ file: r.file, index: r.index, message: `${r.line === undefined ? '' : `line ${r.line} `}is not JSON: ${(err as Error).message}` })
      return
    }
    // A whole log file on one line with other keys before `Records`, or a list: its records
    // (one level down only).
    for (const item of recordsIn(value) ?? [value]) {
      const record = unwrap(item)
      const problem = recordProblem(record)
      if (problem !== undefined) { report({ file: r.file, index: r.index, message: `record ${problem}` }); continue }
      count++
      emit(engine.evaluate(cloudTrailEvent(record as Record<string, any>) as unknown as AnyEvent))
    }
  }
  const order = new TimeOrder<RecordText>(ORDER_WINDOW)
  const time = new EventTimeOf()
  await reader.run((r) => { order.push(time.of(r.text), r, evaluate) }, report)
  order.drain(evaluate)
  emit(engine.flush())
  if (out.length > 0) process.stdout.write(out.join('\n') + '\n')
  engine.save()
  const late = order.late > 0 ? `, ${order.late} out of time order by more than ${ORDER_WINDOW} records` : ''
  process.stderr.write(`${files.length} file${files.length === 1 ? '' : 's'}, ${count} records, ${skipped} skipped, ${alerts} alerts${late}\n`)
  if (skipped > 0) process.exitCode = 1
}

/** The records of a value that holds several (an array, or an object with `Records` and no eventID). */
function recordsIn (value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as { Records?: unknown, eventID?: unknown }
  return v.eventID === undefined && Array.isArray(v.Records) ? v.Records : undefined
}

/**
 * The `eventTime` of a record's text, found without parsing it (the first `"eventTime"` key: a
 * record's own, or in an EventBridge event its `detail`'s). A text without one keeps the previous
 * time, so it stays in place; it is checked properly when parsed.
 */
class EventTimeOf {
  #text = ''
  #ms = 0

  of (text: string): number {
    const key = text.indexOf('"eventTime"')
    if (key < 0) return this.#ms
    let open = key + 11
    while (open < text.length && text.charCodeAt(open) !== 0x22) {
      const c = text.charCodeAt(open++)
      if (c !== 0x3a && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return this.#ms // not `"eventTime": "…"`
    }
    const close = text.indexOf('"', open + 1)
    if (close < 0 || close - open > 64) return this.#ms
    // Most records share their second with the one before: compare in place before slicing.
    const length = close - open - 1
    if (length === this.#text.length && text.startsWith(this.#text, open + 1)) return this.#ms
    const value = text.slice(open + 1, close)
    const ms = Date.parse(value)
    if (Number.isFinite(ms)) { this.#text = value; this.#ms = ms }
    return this.#ms
  }
}
