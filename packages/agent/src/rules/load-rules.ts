/**
 * Rule files by path → a rule set: the shipped default pack first (unless left out), then the
 * user's files in the order given, so the user's lists, macros and rules extend or override the
 * defaults. Directories are read for their *.yaml / *.yml files in name order.
 */
import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { readRuleFile } from './rule-file'
import { buildRuleSet, type RuleSet } from './rule-set'

/** The shipped rule pack (packages/agent/rules). */
export const DEFAULT_RULES_DIR = resolve(__dirname, '..', '..', 'rules')

export function ruleFilesIn (paths: readonly string[]): string[] {
  const files: string[] = []
  for (const path of paths) {
    let isDir = false
    try {
      isDir = statSync(path).isDirectory()
    } catch {
      // reported by readRuleFile as "cannot read"
    }
    if (!isDir) { files.push(path); continue }
    for (const name of readdirSync(path).sort()) if (/\.ya?ml$/.test(name)) files.push(join(path, name))
  }
  return files
}

export function loadRules (paths: readonly string[], options: { defaults?: boolean } = {}): RuleSet & { files: string[] } {
  const files = ruleFilesIn([...(options.defaults === false ? [] : [DEFAULT_RULES_DIR]), ...paths])
  return { ...buildRuleSet(files.map(readRuleFile)), files }
}
