/**
 * A rule's output: text with `%field` placeholders (`%proc.name`, `%ct.request.cluster`),
 * compiled once into a function of the event. A field the event does not carry prints `<NA>`
 * (as in Falco); an array prints its elements joined by commas. `%%` is a literal `%`.
 */
import { lookupField, type AnyEvent } from './fields'

export interface CompiledOutput {
  render: (event: AnyEvent) => string
  fields: string[]
}

export class OutputError extends Error {
  constructor (message: string, readonly at: number, readonly length: number) {
    super(message)
    this.name = 'OutputError'
  }
}

const PLACEHOLDER = /%%|%([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_$-]+|\[(?:\d+|\*)\])+)/g

export function compileOutput (template: string): CompiledOutput {
  const parts: Array<string | ((e: AnyEvent) => string)> = []
  const fields: string[] = []
  let last = 0
  for (const m of template.matchAll(PLACEHOLDER)) {
    const at = m.index ?? 0
    parts.push(template.slice(last, at))
    last = at + m[0].length
    if (m[0] === '%%') { parts.push('%'); continue }
    const name = m[1] as string
    const field = lookupField(name)
    if (field === undefined) throw new OutputError(`unknown field ${name} in output`, at, m[0].length)
    fields.push(name)
    const get = field.get
    parts.push((e) => show(get(e)))
  }
  parts.push(template.slice(last))
  const compact = parts.filter((p) => p !== '')
  return {
    fields,
    render: (e) => {
      let out = ''
      for (const p of compact) out += typeof p === 'string' ? p : p(e)
      return out
    },
  }
}

export function show (value: unknown): string {
  if (value === undefined || value === null) return '<NA>'
  if (Array.isArray(value)) return value.map(show).join(',')
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}
