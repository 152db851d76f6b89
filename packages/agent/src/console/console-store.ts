/**
 * The console's handle on the embedded store: opened read-write (it records decisions), brought
 * to the current schema (a store written by an older agent gains the alerts and decisions
 * tables), and refused with SW_ERR_DB when it is missing, corrupt or not a sidewatch store.
 */
import { existsSync, statSync } from 'node:fs'
import Database, { type Database as Db } from 'better-sqlite3'
import { AgentError } from '../errors'
import { migrate, readSchemaVersion } from '../store/schema'

export function openConsoleStore (path: string): Db {
  if (!existsSync(path)) throw new AgentError('SW_ERR_DB', `no event database at ${path} (give the sqlite file an agent or collect writes with --db FILE)`)
  if (statSync(path).isDirectory()) throw new AgentError('SW_ERR_DB', `${path} is a directory, not an event database`)
  let db: Db | undefined
  try {
    db = new Database(path, { fileMustExist: true })
    db.pragma('busy_timeout = 5000')
    const version = readSchemaVersion(db)
    if (version === undefined) throw new AgentError('SW_ERR_DB', `${path} is not a sidewatch event database (no schema_version table)`)
    db.pragma('journal_mode = WAL')
    migrate(db)
    return db
  } catch (err) {
    db?.close()
    if (err instanceof AgentError) throw err
    throw new AgentError('SW_ERR_DB', `cannot use event database ${path}: ${(err as Error).message}`, { cause: err })
  }
}
