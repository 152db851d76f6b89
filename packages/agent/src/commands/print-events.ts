/**
 * Prints events for `events` and `search`: JSON lines, or a table. Event text comes from the
 * monitored applications, i.e. possibly from an attacker, so control characters are replaced
 * before they reach a terminal.
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import { summarize } from './summary'

export function printEvents (events: readonly SidewatchEvent[], json: boolean, out: NodeJS.WritableStream = process.stdout): void {
  if (json) {
    writeLines(out, events.map((e) => JSON.stringify(e)))
    return
  }
  if (events.length === 0) {
    process.stderr.write('no events\n')
    return
  }
  const rows = events.map((e) => [e.ts, e.kind, e.source, e.service ?? '-', summarize(e)].map(printable))
  const header = ['TIME', 'KIND', 'SOURCE', 'SERVICE', 'SUMMARY']
  const widths = header.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)))
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < widths.length ? c.padEnd(widths[i] as number) : c)).join('  ').trimEnd()
  writeLines(out, [line(header), ...rows.map(line)])
}

function printable (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
}

function writeLines (out: NodeJS.WritableStream, lines: string[]): void {
  for (let i = 0; i < lines.length; i += 1000) out.write(lines.slice(i, i + 1000).join('\n') + '\n')
}
