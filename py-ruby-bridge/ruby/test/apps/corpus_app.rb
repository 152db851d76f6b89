# frozen_string_literal: true

# The node-asm corpus through a real Ruby app: one Sinatra app that, for the case named in the
# `Corpus-Case` header, reads the case's input the way an app does (params, header, cookie, JSON
# body, path param), builds the sink argument as the case says (test/support/corpus.rb), and
# makes the real call: `system('/bin/sh', '-c', line)` for exec (what child_process.exec runs),
# `system([file, file], *args)` for execFile, File.read / File.write / File.unlink /
# Dir.children for fs, Net::HTTP.get_response(URI(url)) for http. Run in block mode inside its
# own network and mount namespaces (see corpus_driver.rb): attacks are stopped before they run;
# benign commands run with an empty PATH.
require 'json'
require 'net/http'
require 'pathname'
require 'sinatra/base'
require 'rack/handler/webrick'
require_relative '../support/corpus'

CASES = (Corpus.load('attacks') + Corpus.load('benign')).to_h { |c| [c['id'], c] }
EMPTY_PATH = ENV.fetch('CORPUS_EMPTY_PATH')

class CorpusApp < Sinatra::Base
  set :logging, false
  set :show_exceptions, false

  def received(kase)
    name = kase['input']['name'].split('.', 2).last
    case kase['input']['source']
    when 'query', 'params' then params[name]
    when 'headers' then name == 'host' ? request.host : request.get_header("HTTP_#{name.upcase.tr('-', '_')}")
    when 'cookies' then request.cookies[name]
    when 'body' then JSON.parse(request.body.read)[name]
    end
  end

  def sink(kase, value)
    v = Corpus.app_value(kase.merge('input' => kase['input'].merge('value' => value)))
    b = kase['build']
    case kase['sink']
    when 'exec' then system({ 'PATH' => EMPTY_PATH }, '/bin/sh', '-c', Corpus.fill(b['template'], v), err: File::NULL, out: File::NULL)
    when 'execFile'
      file = Corpus.fill(b['file'], v)
      system({ 'PATH' => EMPTY_PATH }, [file, file], *(b['args'] || []).map { |a| Corpus.fill(a, v) }, err: File::NULL, out: File::NULL)
    when 'fs' then fs(b, v)
    when 'http' then http(Corpus.fill(b['url'], v))
    end
  end

  def fs(build, v)
    joined = build['join'] && !build['path_override']
    path = joined ? Pathname.new(File.join(build['base'], v)).cleanpath.to_s : Corpus.fs_path(build, v)
    case build['op'] || 'readFile'
    when 'readFile' then File.read(path)
    when 'writeFile' then File.write(path, 'x')
    when 'unlink' then File.unlink(path)
    when 'readdir' then Dir.children(path)
    end
  rescue SystemCallError => e
    e.class.name
  end

  def http(url)
    uri = begin
      URI(url)
    rescue URI::InvalidURIError => e
      return [:not_applicable, "Ruby's URI refuses #{url.inspect} (#{e.message}): no request can be made with it"]
    end
    Net::HTTP.get_response(uri).code
  rescue SystemCallError, SocketError, IOError, Net::OpenTimeout => e
    e.class.name
  end

  def run_case
    kase = CASES.fetch(request.get_header('HTTP_CORPUS_CASE'))
    value = received(kase)
    unless value == kase['input']['value']
      return JSON.generate('applicable' => false, 'reason' => "the server handed the app #{value.inspect}, not the case's value")
    end

    result = sink(kase, value)
    return JSON.generate('applicable' => false, 'reason' => result[1]) if result.is_a?(Array) && result[0] == :not_applicable

    JSON.generate('applicable' => true, 'result' => result.to_s[0, 100])
  rescue ArgumentError => e
    raise unless e.message.include?('null byte')

    JSON.generate('applicable' => false, 'reason' => "Ruby raises ArgumentError (#{e.message}) before any file call")
  end

  get('/run') { run_case }
  post('/run') { run_case }
  %w[id tenant sha].each { |name| get("/p/#{name}/:#{name}") { run_case } }
end

Rack::Handler::WEBrick.run(CorpusApp, Host: '127.0.0.1', Port: 0, Logger: WEBrick::Log.new(File::NULL), AccessLog: []) do |server|
  $stdout.puts JSON.generate('msg' => 'shop listening', 'port' => server.listeners.first.addr[1])
  $stdout.flush
  trap('TERM') { server.shutdown }
end
