'use strict'
// Benchmark app (a): a plain node:http hello route. Listens on 127.0.0.1, a free port, and
// prints one JSON line with it (and which preloaded SDK it runs with) for app-overhead.mjs.
const http = require('node:http')
const { ready } = require('./ready.cjs')

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.end('hello world')
})
server.listen(0, '127.0.0.1', () => ready(server.address().port))
