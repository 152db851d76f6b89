// The example shop, ES module flavour: named imports of the builtins, which the SDK must see too.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFile, execFileSync, spawn, spawnSync, exec, fork } from 'node:child_process'
import childProcess from 'child_process'
import { serve } from './serve.js'
import { readFileSync } from 'node:fs'
import { get } from 'node:http'

const publicDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public')

const routes = {
  '/health': async () => ({ ok: true }),
  '/files': () => new Promise((resolve, reject) => {
    execFile('ls', ['-1', publicDir], (err, stdout) => err ? reject(err) : resolve({ files: stdout.trim().split('\n') }))
  }),
  '/date': async () => ({ date: execFileSync('date', ['-u', '+%Y-%m-%d']).toString().trim() }),
  '/count': async () => {
    const out = spawnSync('wc', ['-l', path.join(publicDir, 'catalog.txt')], { encoding: 'utf8' })
    return { lines: Number(out.stdout.trim().split(' ')[0]) }
  },
  '/greet': (url) => new Promise((resolve, reject) => {
    const name = url.searchParams.get('name') ?? 'world'
    exec(`echo Hello ${name}`, (err, stdout) => err ? reject(err) : resolve({ greeting: stdout.trim() }))
  }),
  '/whoami': () => new Promise((resolve) => {
    const child = spawn('id', ['-un'])
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.on('close', () => resolve({ user: out.trim() }))
  }),
  '/hostname': async () => ({ host: childProcess.execSync('hostname').toString().trim() }),
  '/file': async (url) => ({ text: readFileSync(path.join(publicDir, url.searchParams.get('name') ?? 'logo.txt'), 'utf8') }),
  '/preview': (url) => new Promise((resolve, reject) => {
    get(url.searchParams.get('url') ?? 'http://127.0.0.1:1/', (res) => {
      let body = ''
      res.on('data', (d) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode, body: body.slice(0, 200) }))
    }).on('error', reject)
  }),
  '/sum': (url) => new Promise((resolve, reject) => {
    const numbers = (url.searchParams.get('n') ?? '1,2,3').split(',').map(Number)
    const child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js'))
    child.once('message', (sum) => resolve({ sum }))
    child.once('error', reject)
    child.send(numbers)
  }),
}

serve(routes)
