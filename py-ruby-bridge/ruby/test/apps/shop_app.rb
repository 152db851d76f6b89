# frozen_string_literal: true

# A small real app for the end-to-end tests: Sinatra routes and a plain Rack endpoint, served by
# WEBrick (Rack::Handler::WEBrick) on 127.0.0.1, port 0. It does what vulnerable apps do: puts
# request input into shell commands, file paths and outbound URLs. sidewatch is not mentioned
# here: it is turned on from outside (ruby -rsidewatch/auto, or RUBYOPT).
require 'json'
require 'net/http'
require 'open3'
require 'sinatra/base'
require 'rack'
require 'rack/handler/webrick'

PUBLIC = File.join(ENV.fetch('SHOP_DIR'), 'public')

class ShopApp < Sinatra::Base
  set :logging, false
  set :show_exceptions, false
  set :raise_errors, false

  get '/health' do
    content_type :json
    '{"ok":true}'
  end

  get '/greet' do
    `echo Hello #{params['name']}`
  end

  get '/file' do
    File.read(File.join(PUBLIC, params['name']))
  rescue Errno::ENOENT
    halt 404, 'no such file'
  end

  get '/hi/:name' do
    `echo Hi #{params['name']}`
  end

  get '/preview' do
    response = Net::HTTP.get_response(URI(params['url']))
    JSON.generate('status' => response.code.to_i, 'body' => response.body)
  end

  post '/list' do
    dir = JSON.parse(request.body.read)['dir']
    out, = Open3.capture2('ls', dir)
    out
  end

  # The app's own rescue answers 500 for any error: block mode must still answer 403.
  get '/careful' do
    system("echo #{params['name']} > /dev/null")
    'done'
  rescue StandardError
    halt 500, 'oops'
  end

  get '/env' do
    File.read('/proc/self/environ').bytesize.to_s
  end

  get '/boom' do
    raise 'boom'
  end
end

app = Rack::Builder.new do
  map('/plain') { run ->(env) { [200, { 'content-type' => 'text/plain' }, [`ls #{Rack::Utils.parse_query(env['QUERY_STRING'])['dir']}`]] } }
  run ShopApp
end

Rack::Handler::WEBrick.run(app, Host: '127.0.0.1', Port: 0, Logger: WEBrick::Log.new(File::NULL), AccessLog: []) do |server|
  $stdout.puts JSON.generate('msg' => 'shop listening', 'port' => server.listeners.first.addr[1], 'pid' => Process.pid)
  $stdout.flush
  trap('TERM') { server.shutdown }
end
