import { readFileSync } from 'node:fs'
import { join } from 'node:path'

// Read at run time rather than imported: package.json sits outside rootDir, and the same path
// works from src/ (tests) and dist/ (the built CLI).
const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }

export const AGENT_VERSION: string = pkg.version
