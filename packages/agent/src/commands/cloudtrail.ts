/**
 * `sidewatch-agent cloudtrail PATH... [--rules FILE]...`: CloudTrail log files (or directories of
 * them, or JSON lines, or EventBridge events) through the same rules as the runtime events; the
 * alerts as JSON lines on stdout, a summary on stderr. A file or record that cannot be read is
 * reported (file and record index) and skipped; the rest is still processed, and the exit status
 * is 1 when anything was skipped.
 */
import { AgentError } from '../errors'
import { cloudTrailEvent } from '../cloudtrail/cloudtrail-event'
import { cloudTrailFiles, readCloudTrailFile } from '../cloudtrail/read-records'
import type { AnyEvent } from '../rules/fields'
import { loadRules } from '../rules/load-rules'
import { RuleEngine } from '../rules/rule-engine'
import { parseCommandArgs } from './args'

export const CLOUDTRAIL_USAGE = `Usage: sidewatch-agent cloudtrail PATH... [--rules FILE|DIR]... [--no-defaults] [--state FILE]

Runs CloudTrail records through the rules (the shipped pack, then --rules) and prints each alert
as a JSON line. PATH: CloudTrail log files as delivered to S3 ({"Records": [...]}, gzip or not),
JSON lines of records or of EventBridge events, or directories of them (walked). Records are
taken in time order. Unreadable files and records are reported on stderr with the file and the
record index and skipped; the exit status is then 1.
`

const EMPTY: Record<string, any> = {}

export async function cloudtrailCommand (argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('cloudtrail', {
    args: argv,
    allowPositionals: true,
    options: {
      rules: { type: 'string', multiple: true },
      'no-defaults': { type: 'boolean' },
      state: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) { process.stdout.write(CLOUDTRAIL_USAGE); return }
  if (positionals.length === 0) throw new AgentError('SW_ERR_USAGE', 'cloudtrail needs at least one PATH (see sidewatch-agent cloudtrail --help)')
  const set = loadRules(values.rules ?? [], { defaults: values['no-defaults'] !== true })
  if (set.problems.length > 0) {
    throw new AgentError('SW_ERR_RULES', `the rules have ${set.problems.length} problem${set.problems.length === 1 ? '' : 's'}: ${set.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('; ')}`)
  }
  const engine = new RuleEngine(set, { statePath: values.state })

  const { files, problems } = cloudTrailFiles(positionals)
  const records: Array<Record<string, any>> = []
  for (const file of files) {
    const read = readCloudTrailFile(file)
    for (const r of read.records) records.push(r) // not push(...): a log file may hold 100,000s
    for (const p of read.problems) problems.push(p)
  }
  for (const p of problems) process.stderr.write(`sidewatch-agent: SW_ERR_CLOUDTRAIL: ${p.file}${p.index === undefined ? '' : ` record ${p.index}`}: ${p.message}\n`)
  // Time order: rules with windows (thresholds, learning) see the records as they happened.
  // (CloudTrail's own files are in order already: then nothing is moved.)
  const times = records.map((r) => Date.parse(r.eventTime))
  let ordered = true
  for (let i = 1; i < times.length && ordered; i++) if ((times[i] as number) < (times[i - 1] as number)) ordered = false
  if (!ordered) {
    const order = times.map((_, i) => i).sort((a, b) => (times[a] as number) - (times[b] as number))
    const sorted = order.map((i) => records[i] as Record<string, any>)
    for (let i = 0; i < sorted.length; i++) records[i] = sorted[i] as Record<string, any>
  }
  const out: string[] = []
  let alerts = 0
  const emit = (list: unknown[]): void => {
    for (const a of list) out.push(JSON.stringify(a))
    alerts += list.length
    if (out.length >= 1000) { process.stdout.write(out.join('\n') + '\n'); out.length = 0 }
  }
  for (let i = 0; i < records.length; i++) {
    emit(engine.evaluate(cloudTrailEvent(records[i] as Record<string, any>) as unknown as AnyEvent))
    records[i] = EMPTY // evaluated: let the collector have it while the rest run
  }
  emit(engine.flush())
  if (out.length > 0) process.stdout.write(out.join('\n') + '\n')
  engine.save()
  process.stderr.write(`${files.length} file${files.length === 1 ? '' : 's'}, ${records.length} records, ${problems.length} skipped, ${alerts} alerts\n`)
  if (problems.length > 0) process.exitCode = 1
}
