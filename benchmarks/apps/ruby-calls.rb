# frozen_string_literal: true

# Per-call cost of hooked Ruby calls, for benchmarks/bridge-ruby.mjs: File.read of a small file
# (outside a request, and inside a request through the Rack middleware whose input is not in the
# path) and system('true'), wall and process CPU per call. Prints one JSON line. The bridge is on
# when this runs under `ruby -rsidewatch/auto`.
require 'json'
require 'stringio'

CALLS = Integer(ENV.fetch('BENCH_CALLS', '50000'))
SYSTEM_CALLS = Integer(ENV.fetch('BENCH_SYSTEM_CALLS', '300'))
FILE = File.join(ENV.fetch('BENCH_FILES_DIR'), 'catalog.txt')

def time(n)
  cpu0 = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
  t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  n.times { yield }
  wall = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
  cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID) - cpu0
  { 'wall' => wall / n * 1e6, 'cpu' => cpu / n * 1e6 }
end

out = { 'sidewatch' => defined?(Sidewatch) ? Sidewatch.active? : false }
time(2000) { File.read(FILE) }
r = time(CALLS) { File.read(FILE) }
out['read_outside_wall'] = r['wall']
out['read_outside_cpu'] = r['cpu']

env = { 'REQUEST_METHOD' => 'GET', 'PATH_INFO' => '/catalog', 'QUERY_STRING' => 'q=espresso&page=2', 'SCRIPT_NAME' => '',
        'HTTP_USER_AGENT' => 'bench', 'rack.input' => StringIO.new }
app = lambda do |_|
  time(2000) { File.read(FILE) }
  r = time(CALLS) { File.read(FILE) }
  out['read_request_wall'] = r['wall']
  out['read_request_cpu'] = r['cpu']
  [200, {}, ['ok']]
end
out['sidewatch'] ? Sidewatch::Rack::Middleware.new(app).call(env) : app.call(env)

time(20) { system('true') }
r = time(SYSTEM_CALLS) { system('true') }
out['system_wall'] = r['wall']
out['system_cpu'] = r['cpu']
puts JSON.generate(out)
