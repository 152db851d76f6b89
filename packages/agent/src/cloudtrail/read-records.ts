/**
 * CloudTrail records from files: log files as CloudTrail delivers them to S3
 * (`{"Records": [...]}`, gzip or not), JSON lines of single records, and EventBridge events whose
 * `detail` is a record (one per line, or an array); directories are walked for all of them. A
 * file or record that cannot be read is reported with the file and the record's index, and the
 * rest goes on.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { recordProblem } from './cloudtrail-event'

export interface RecordProblem { file: string, index?: number, message: string }

export interface RecordsOfFile { file: string, records: Array<Record<string, any>>, problems: RecordProblem[] }

/** Every file under the paths (directories walked, in name order; hidden entries skipped). */
export function cloudTrailFiles (paths: readonly string[]): { files: string[], problems: RecordProblem[] } {
  const files: string[] = []
  const problems: RecordProblem[] = []
  const walk = (path: string): void => {
    let isDir: boolean
    try {
      isDir = statSync(path).isDirectory()
    } catch (err) {
      problems.push({ file: path, message: `cannot read: ${(err as Error).message}` })
      return
    }
    if (!isDir) { files.push(path); return }
    for (const name of readdirSync(path).sort()) if (!name.startsWith('.')) walk(join(path, name))
  }
  for (const p of paths) walk(p)
  return { files, problems }
}

/** The records of one file. */
export function readCloudTrailFile (file: string): RecordsOfFile {
  const out: RecordsOfFile = { file, records: [], problems: [] }
  let data: Buffer
  try {
    data = readFileSync(file)
    if (data[0] === 0x1f && data[1] === 0x8b) data = gunzipSync(data, { maxOutputLength: 1024 * 1024 * 1024 })
  } catch (err) {
    out.problems.push({ file, message: `cannot read: ${(err as Error).message}` })
    return out
  }
  const text = data.toString('utf8')
  const add = (value: unknown, index: number): void => {
    const record = unwrap(value)
    const problem = recordProblem(record)
    if (problem === undefined) out.records.push(record as Record<string, any>)
    else out.problems.push({ file, index, message: `record ${problem}` })
  }
  const trimmed = text.trimStart()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let doc: unknown
    try {
      doc = JSON.parse(text)
    } catch {
      doc = undefined // maybe JSON lines
    }
    if (doc !== undefined) {
      const list = Array.isArray(doc) ? doc : Array.isArray((doc as { Records?: unknown }).Records) ? (doc as { Records: unknown[] }).Records : [doc]
      list.forEach(add)
      return out
    }
  }
  const lines = text.split('\n')
  let index = 0
  for (const line of lines) {
    if (line.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (err) {
      out.problems.push({ file, index, message: `line ${index + 1} is not JSON: ${(err as Error).message}` })
      index++
      continue
    }
    add(value, index++)
  }
  if (index === 0 && out.problems.length === 0) out.problems.push({ file, message: 'holds no records' })
  return out
}

/** An EventBridge event carrying a CloudTrail record gives the record; anything else is itself. */
export function unwrap (value: unknown): unknown {
  const v = value as { detail?: unknown, 'detail-type'?: unknown } | null
  if (v !== null && typeof v === 'object' && typeof v['detail-type'] === 'string' && typeof v.detail === 'object') return v.detail
  return value
}
