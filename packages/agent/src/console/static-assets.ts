/** The console's stylesheet, script and icon (packages/agent/console/), read once and served from memory. */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

export const ASSETS_DIR = resolve(__dirname, '..', '..', 'console')

export interface Asset { body: Buffer, type: string }

export function loadAssets (): Map<string, Asset> {
  return new Map([
    ['/static/console.css', { body: readFileSync(resolve(ASSETS_DIR, 'console.css')), type: 'text/css; charset=utf-8' }],
    ['/static/console.js', { body: readFileSync(resolve(ASSETS_DIR, 'console.js')), type: 'text/javascript; charset=utf-8' }],
    ['/static/favicon.svg', { body: readFileSync(resolve(ASSETS_DIR, 'favicon.svg')), type: 'image/svg+xml' }],
  ])
}
