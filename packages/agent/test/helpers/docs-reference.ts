/**
 * Checks of the reference docs against what the sources define (docs-reference.test.ts). Each
 * checker takes a doc's text and the real list of what it must document, and returns one message
 * per thing missing or stale, naming it and the doc to fix; none reads a file itself, so the test
 * can also run them on altered text and see them fail.
 */

export interface Section { level: number, title: string, text: string }

/** The doc's sections: each heading with its text up to the next heading of the same or a higher level. */
export function sections (markdown: string): Section[] {
  const lines = markdown.split('\n')
  const heads: Array<{ line: number, level: number, title: string }> = []
  let fenced = false
  lines.forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced
    const m = fenced ? null : /^(#{1,6})\s+(.*)$/.exec(line)
    if (m !== null) heads.push({ line: i, level: (m[1] as string).length, title: (m[2] as string).trim() })
  })
  return heads.map((h, k) => {
    const next = heads.slice(k + 1).find((n) => n.level <= h.level)
    return { level: h.level, title: h.title, text: lines.slice(h.line, next?.line ?? lines.length).join('\n') }
  })
}

/** The first section whose heading contains `` `code` `` (or the plain text `plain`). */
export function sectionFor (markdown: string, code: string): Section | undefined {
  return sections(markdown).find((s) => s.title.includes(`\`${code}\``))
}

/** The cells of each table row of `text` (header and separator rows left out). */
export function tableRows (text: string): string[][] {
  const rows: string[][] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('|') || /^\|[\s|:-]+\|\s*$/.test(line)) continue
    rows.push(line.slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined).split('|').map((c) => c.trim()))
  }
  return rows
}

function unquote (cell: string): string {
  return cell.replace(/^`(.*)`$/, '$1')
}

function mentions (text: string, word: string): boolean {
  return new RegExp(`(^|[^\\w-])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`).test(text)
}

const CONFIG_DOC = 'docs/configuration.md'

/** Every command has a `sidewatch-agent NAME` section that mentions each of its long flags. */
export function commandProblems (doc: string, commands: ReadonlyMap<string, readonly string[]>): string[] {
  const problems: string[] = []
  for (const [name, flags] of commands) {
    const section = sectionFor(doc, `sidewatch-agent ${name}`)
    if (section === undefined) {
      problems.push(`${CONFIG_DOC}: no section for the command "${name}": add a heading "### \`sidewatch-agent ${name}\`" with a table of its flags (${flags.map((f) => `--${f}`).join(', ')})`)
      continue
    }
    for (const flag of flags) {
      if (!mentions(section.text, `--${flag}`)) problems.push(`${CONFIG_DOC}: the section "sidewatch-agent ${name}" does not document --${flag}: add a row for it to that command's flag table (what it does, its default)`)
    }
  }
  for (const s of sections(doc)) {
    const name = /^`sidewatch-agent ([\w-]+)`/.exec(s.title)?.[1]
    if (name !== undefined && !commands.has(name)) problems.push(`${CONFIG_DOC}: the section "sidewatch-agent ${name}" documents a command the CLI does not have: remove it or rename it`)
  }
  return problems
}

/** Every config-file key is a row of the config-file table, and every row is a key. */
export function configKeyProblems (doc: string, keys: readonly string[]): string[] {
  const section = sections(doc).find((s) => s.title.startsWith('Config file'))
  if (section === undefined) return [`${CONFIG_DOC}: no "## Config file" section: add it, with a table of the keys ${keys.join(', ')}`]
  const rows = new Set(tableRows(section.text).map((r) => unquote(r[0] ?? '')).filter((k) => k !== 'key'))
  const problems = keys.filter((k) => !rows.has(k)).map((k) => `${CONFIG_DOC}: the config-file key ${k} is not documented: add a row "| \`${k}\` | type | default | flag / environment | what it sets |" to the "Config file" table`)
  for (const row of rows) if (!keys.includes(row)) problems.push(`${CONFIG_DOC}: the "Config file" table lists ${row}, which config.ts does not accept: remove or rename the row`)
  return problems
}

/** Every `SIDEWATCH_*` variable of the sources appears in the doc, and the doc names no other. */
export function envVarProblems (doc: string, vars: ReadonlyMap<string, readonly string[]>): string[] {
  const problems: string[] = []
  for (const [name, files] of vars) {
    if (!doc.includes(`\`${name}\``)) problems.push(`${CONFIG_DOC}: the environment variable ${name} (read in ${files.join(', ')}) is not documented: add it to the "Environment variables" tables with the component that reads it and its default`)
  }
  for (const name of new Set(doc.match(/\bSIDEWATCH_[A-Z0-9]+(?:_[A-Z0-9]+)*\b/g) ?? [])) {
    if (!vars.has(name)) problems.push(`${CONFIG_DOC}: ${name} is documented but no source reads it: remove it or fix its name`)
  }
  return problems
}

export interface ShippedRule { name: string, priority: string, file: string }

/** Every shipped rule is a row (name, priority, file) of the shipped-pack table, and every row a rule. */
export function ruleTableProblems (doc: string, rules: readonly ShippedRule[]): string[] {
  const where = 'docs/rules.md'
  const section = sections(doc).find((s) => s.title === 'The shipped pack')
  if (section === undefined) return [`${where}: no "## The shipped pack" section: add it, with a table of every shipped rule (rule | priority | file | catches)`]
  const rows = new Map(tableRows(section.text).filter((r) => r[0] !== 'rule').map((r) => [r[0] as string, r]))
  const problems: string[] = []
  for (const rule of rules) {
    const row = rows.get(rule.name)
    if (row === undefined) {
      problems.push(`${where}: the shipped rule "${rule.name}" (${rule.file}) is not listed: add "| ${rule.name} | ${rule.priority} | \`${rule.file}\` | what it catches |" to the shipped-pack table`)
      continue
    }
    if (row[1] !== rule.priority) problems.push(`${where}: the shipped rule "${rule.name}" is listed with priority ${row[1] ?? '(none)'}, but its priority is ${rule.priority}`)
    if (unquote(row[2] ?? '') !== rule.file) problems.push(`${where}: the shipped rule "${rule.name}" is listed in ${row[2] ?? '(no file)'}, but it is defined in ${rule.file}`)
  }
  const names = new Set(rules.map((r) => r.name))
  for (const name of rows.keys()) if (!names.has(name)) problems.push(`${where}: the shipped-pack table lists "${name}", which no shipped rule file defines: remove the row or fix the name`)
  return problems
}

/** Each word appears in backquotes somewhere in `text` (operators, priorities of the rule language). */
export function wordProblems (text: string, words: readonly string[], what: string, where: string): string[] {
  return words.filter((w) => !text.includes(`\`${w}\``)).map((w) => `${where}: the ${what} \`${w}\` is not documented`)
}

type JsonSchema = Record<string, any>

/** The field paths of a schema object: `a`, `a.b`, `a[].c` for objects in arrays. */
export function fieldPaths (schema: JsonSchema, prefix: string): string[] {
  const out = [prefix]
  const walkProps = (props: Record<string, JsonSchema>, base: string): void => {
    for (const [key, sub] of Object.entries(props)) out.push(...fieldPaths(sub, `${base}.${key}`))
  }
  if (schema.type === 'object' && schema.properties !== undefined) walkProps(schema.properties, prefix)
  else if (schema.type === 'array' && schema.items?.type === 'object' && schema.items.properties !== undefined) walkProps(schema.items.properties, `${prefix}[]`)
  return out
}

export interface KindSchema { kind: string, body: string, schema: JsonSchema }

/** The envelope (properties every kind has, but `kind`) and each kind's body, from the JSON Schema document. */
export function schemaParts (doc: JsonSchema): { envelope: Record<string, JsonSchema>, kinds: KindSchema[] } {
  const defs = Object.entries(doc.$defs as Record<string, JsonSchema>)
  const common = Object.keys(defs[0]?.[1].properties ?? {}).filter((key) => key !== 'kind' && defs.every(([, d]) => key in d.properties))
  const envelope = Object.fromEntries(common.map((key) => [key, (defs[0] as [string, JsonSchema])[1].properties[key]]))
  const kinds = defs.map(([kind, d]) => {
    const body = Object.keys(d.properties).find((key) => key !== 'kind' && !common.includes(key)) as string
    return { kind, body, schema: d.properties[body] as JsonSchema }
  })
  return { envelope, kinds }
}

/** Every kind has a section listing each of its fields; the envelope section lists each envelope field. */
export function eventDocProblems (doc: string, schema: JsonSchema): string[] {
  const where = 'docs/events.md'
  const { envelope, kinds } = schemaParts(schema)
  const problems: string[] = []
  const envSection = sections(doc).find((s) => s.title === 'Envelope')
  const envPaths = Object.entries(envelope).flatMap(([key, sub]) => fieldPaths(sub, key))
  if (envSection === undefined) problems.push(`${where}: no "## Envelope" section: add it, with a row for each of ${envPaths.join(', ')}`)
  else for (const path of envPaths) if (!envSection.text.includes(`\`${path}\``)) problems.push(`${where}: the envelope field ${path} is not documented: add a row for it to the "Envelope" table`)
  for (const { kind, body, schema: bodySchema } of kinds) {
    const section = sectionFor(doc, kind)
    if (section === undefined) {
      problems.push(`${where}: the event kind ${kind} is not documented: add a section "### \`${kind}\`" with a table of its \`${body}\` fields and an example`)
      continue
    }
    for (const path of fieldPaths(bodySchema, body)) {
      if (!section.text.includes(`\`${path}\``)) problems.push(`${where}: the field ${path} of ${kind} events is not documented: add a row for it to the table of the "${section.title}" section`)
    }
  }
  return problems
}

/** The JSON examples of the doc, each with the title of the section it is in. */
export function jsonExamples (doc: string): Array<{ section: string, text: string }> {
  const out: Array<{ section: string, text: string }> = []
  let section = ''
  const lines = doc.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    const head = /^#{1,6}\s+(.*)$/.exec(line)
    if (head !== null) section = (head[1] as string).trim()
    if (line.trim() !== '```json') continue
    const end = lines.indexOf('```', i + 1)
    if (end < 0) break
    out.push({ section, text: lines.slice(i + 1, end).join('\n') })
    i = end
  }
  return out
}
