# frozen_string_literal: true

# The apps of benchmarks/bridge-ruby.mjs, served by WEBrick on 127.0.0.1: APP=sinatra (a route
# that reads a small file named by the app, and answers with it) or APP=rack (a plain Rack hello
# built with Rack::Builder). With the bridge when run under `ruby -rsidewatch/auto`.
require 'json'
require 'rack'
require 'rack/handler/webrick'

FILE = File.join(ENV.fetch('BENCH_FILES_DIR'), 'catalog.txt')

# WEBrick writes the head and the body of a response separately: with Nagle on, each keep-alive
# request waits for the client's delayed ACK (~40 ms) and every app tops out near 220 req/s.
# Production servers (Puma) set TCP_NODELAY; so does this one.
module NoDelay
  def run(sock)
    sock.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
    super
  end
end
WEBrick::HTTPServer.prepend(NoDelay)

app = if ENV['APP'] == 'sinatra'
        require 'sinatra/base'
        Class.new(Sinatra::Base) do
          set :logging, false
          get('/menu') { "#{params['name']}: #{File.read(FILE)}" }
        end
      else
        Rack::Builder.new { run ->(env) { [200, { 'content-type' => 'text/plain' }, ["hello #{env['QUERY_STRING']}"]] } }
      end

Rack::Handler::WEBrick.run(app, Host: '127.0.0.1', Port: 0, Logger: WEBrick::Log.new(File::NULL), AccessLog: []) do |server|
  $stdout.puts JSON.generate('msg' => 'listening', 'port' => server.listeners.first.addr[1],
                             'sidewatch' => defined?(Sidewatch) ? Sidewatch.active? : false)
  $stdout.flush
  trap('TERM') { server.shutdown }
end
