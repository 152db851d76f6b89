'use strict'
// The example shop, CommonJS flavour. Each route runs a child process the way real apps do;
// /greet builds a shell command from the query string (deliberately injectable, for the demo).
const { serve } = require('./serve')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const cp = require('child_process')
const { promisify } = require('node:util')

const execAsync = promisify(cp.exec)
const publicDir = path.join(__dirname, 'public')

const routes = {
  '/health': async () => ({ ok: true }),
  '/files': () => new Promise((resolve, reject) => {
    cp.execFile('ls', ['-1', publicDir], (err, stdout) => err ? reject(err) : resolve({ files: stdout.trim().split('\n') }))
  }),
  '/date': async () => ({ date: cp.execFileSync('date', ['-u', '+%Y-%m-%d']).toString().trim() }),
  '/count': async () => {
    const out = cp.spawnSync('wc', ['-l', path.join(publicDir, 'catalog.txt')], { encoding: 'utf8' })
    return { lines: Number(out.stdout.trim().split(' ')[0]) }
  },
  '/greet': async (url) => {
    const name = url.searchParams.get('name') ?? 'world'
    const { stdout } = await execAsync(`echo Hello ${name}`)
    return { greeting: stdout.trim() }
  },
  '/whoami': () => new Promise((resolve) => {
    const child = cp.spawn('id', ['-un'])
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.on('close', () => resolve({ user: out.trim() }))
  }),
  '/hostname': async () => ({ host: cp.execSync('hostname').toString().trim() }),
  // Reads a file of the public folder by name (path.join normalises ../ away: traversable).
  '/file': async (url) => ({ text: fs.readFileSync(path.join(publicDir, url.searchParams.get('name') ?? 'logo.txt'), 'utf8') }),
  // Fetches a preview of any URL the client names (server-side request forgery, for the demo).
  '/preview': (url) => new Promise((resolve, reject) => {
    http.get(url.searchParams.get('url') ?? 'http://127.0.0.1:1/', (res) => {
      let body = ''
      res.on('data', (d) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode, body: body.slice(0, 200) }))
    }).on('error', reject)
  }),
  '/sum': (url) => new Promise((resolve, reject) => {
    const numbers = (url.searchParams.get('n') ?? '1,2,3').split(',').map(Number)
    const child = cp.fork(path.join(__dirname, 'worker.js'))
    child.once('message', (sum) => resolve({ sum }))
    child.once('error', reject)
    child.send(numbers)
  }),
}

serve(routes)
