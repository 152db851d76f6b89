/**
 * Which files to read (directories walked) and what a record is inside an EventBridge event. The
 * files themselves are read by record-reader.ts; a file or record that cannot be read is reported
 * with the file and the record's index, and the rest goes on.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export interface RecordProblem { file: string, index?: number, message: string }

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

/** An EventBridge event carrying a CloudTrail record gives the record; anything else is itself. */
export function unwrap (value: unknown): unknown {
  const v = value as { detail?: unknown, 'detail-type'?: unknown } | null
  if (v !== null && typeof v === 'object' && typeof v['detail-type'] === 'string' && typeof v.detail === 'object') return v.detail
  return value
}
