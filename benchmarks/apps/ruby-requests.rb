# frozen_string_literal: true

# In-process request cost for benchmarks/bridge-ruby.mjs: the Sinatra route and the Rack hello of
# ruby-hello.rb called through Rack::MockRequest (no server, no sockets), CPU µs per request of
# the calling thread, best of 7 batches. With the bridge when run under `ruby -rsidewatch/auto`.
# BENCH_COUNT_APP=sinatra|rack BENCH_COUNT=N: 200 requests of that app, then N more, and nothing
# printed (for counting instructions under callgrind: the difference of N and 0).
require 'json'
require 'rack'
require 'rack/mock'
require 'sinatra/base'

FILE = File.join(ENV.fetch('BENCH_FILES_DIR'), 'catalog.txt')
BATCH = Integer(ENV.fetch('BENCH_REQUESTS', '3000'))

sinatra = Class.new(Sinatra::Base) do
  set :logging, false
  get('/menu') { "#{params['name']}: #{File.read(FILE)}" }
end
apps = {
  'sinatra' => [Rack::Builder.new { run sinatra }.to_app, '/menu?name=espresso'],
  'rack' => [Rack::Builder.new { run ->(env) { [200, { 'content-type' => 'text/plain' }, ["hello #{env['QUERY_STRING']}"]] } }.to_app, '/hello?name=espresso']
}

if ENV['BENCH_COUNT_APP']
  app, path = apps.fetch(ENV['BENCH_COUNT_APP'])
  env = Rack::MockRequest.env_for(path, 'HTTP_USER_AGENT' => 'bench')
  (200 + Integer(ENV.fetch('BENCH_COUNT'))).times { app.call(env.dup) }
  exit
end

def cpu
  Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID)
end

out = { 'sidewatch' => defined?(Sidewatch) ? Sidewatch.active? : false }
apps.each do |name, (app, path)|
  env = Rack::MockRequest.env_for(path, 'HTTP_USER_AGENT' => 'bench')
  raise "#{name}: #{app.call(env.dup)[0]}" unless app.call(env.dup)[0] == 200

  BATCH.times { app.call(env.dup) }
  best = Array.new(7) do
    t = cpu
    BATCH.times { app.call(env.dup) }
    (cpu - t) / BATCH * 1e6
  end.min
  out["#{name}_cpu_us"] = best
end
puts JSON.generate(out)
