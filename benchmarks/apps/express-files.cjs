'use strict'
// Benchmark app (b): an Express 5 route that reads a small file named by the query
// (`fs.readFileSync(path.join(dir, req.query.name))`) and makes one outbound `http.get` to a
// local upstream (127.0.0.1:UPSTREAM_PORT, started by the benchmark), and returns both.
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const express = require('express')
const { ready } = require('./ready.cjs')

const dir = process.env.BENCH_FILES_DIR
const upstream = Number(process.env.BENCH_UPSTREAM_PORT)
if (!dir || !(upstream > 0)) throw new Error('BENCH_FILES_DIR and BENCH_UPSTREAM_PORT are required')

function fetchUpstream () {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: upstream, path: '/price' }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { body += chunk })
      res.on('end', () => resolve(body))
      res.on('error', reject)
    }).on('error', reject)
  })
}

const app = express()
app.get('/file', async (req, res) => {
  try {
    const file = fs.readFileSync(path.join(dir, req.query.name), 'utf8')
    const price = await fetchUpstream()
    res.json({ file, upstream: price })
  } catch (err) {
    res.status(500).json({ error: err.message })
  }
})
const server = app.listen(0, '127.0.0.1', () => ready(server.address().port))
