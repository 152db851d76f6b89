# frozen_string_literal: true

require_relative 'test_helper'
require_relative 'support/real_agent'
require_relative 'support/app_process'
require 'tmpdir'
require 'webrick'
require 'uri'

# End to end: the Sinatra + Rack shop with the bridge (ruby -rsidewatch/auto, or RUBYOPT),
# driven over HTTP with attacks and normal traffic, reporting to the real agent.
class E2eAppTest < Minitest::Test
  APP = File.expand_path('apps/shop_app.rb', __dir__)

  def setup
    skip 'agent not built (npx tsc -b)' unless RealAgent.available?
    @dir = Dir.mktmpdir('sidewatch-rb-e2e-')
    @agent = RealAgent.new
    @upstream = WEBrick::HTTPServer.new(BindAddress: '127.0.0.1', Port: 0, Logger: WEBrick::Log.new(File::NULL), AccessLog: [])
    @upstream.mount_proc('/health') { |_, res| res.body = '{"ok":true}' }
    @upstream_thread = Thread.new { @upstream.start }
  end

  def teardown
    @app&.kill
    @agent&.cleanup
    @upstream&.shutdown
    @upstream_thread&.join
    FileUtils.rm_rf(@dir) if @dir
  end

  def start_app(mode: nil, via: :flag, agent: "unix:#{@agent.unix}")
    env = { 'SIDEWATCH_AGENT' => agent, 'SIDEWATCH_TOKEN' => @agent.token }
    env['SIDEWATCH_MODE'] = mode unless mode.nil?
    @app = AppProcess.new(APP, env: env, via: via, dir: @dir)
  end

  def q(value)
    URI.encode_www_form_component(value)
  end

  def attack(cls, &match)
    @agent.event("an #{cls} attack") { |e| e['kind'] == 'attack' && e.dig('attack', 'class') == cls && (match.nil? || match.call(e['attack'])) }['attack']
  end

  def test_monitor_mode_reports_attacks_processes_files_and_requests
    start_app(via: :rubyopt)
    upstream = "http://127.0.0.1:#{@upstream.config[:Port]}/health"

    assert_equal '200', @app.get('/health').code
    assert_equal "Hello bob\n", @app.get('/greet?name=bob').body
    assert_equal 'hello', @app.get('/file?name=hello.txt').body
    greet = @app.get("/greet?name=#{q('bob; echo pwned')}")
    assert_equal "Hello bob\npwned\n", greet.body, 'monitor mode lets the call run'
    assert_equal '404', @app.get("/file?name=#{q('../../../../etc/hostname-nope')}").code
    assert_equal "Hi bob\nid\n", @app.get('/hi/bob%3Becho%20id').body
    preview = @app.get("/preview?url=#{q(upstream)}")
    assert_equal 200, JSON.parse(preview.body)['status']
    @app.post_json('/list', { 'dir' => '--help' })
    @app.get("/plain?dir=#{q('/tmp;id')}")
    assert_equal '500', @app.get('/boom').code
    @app.get('/env')

    sh = attack('shell_injection') { |a| a['input']['name'] == 'query.name' }
    assert_equal ['Kernel#`', false, 'echo Hello bob; echo pwned'], [sh['sink'], sh['blocked'], sh['target']]
    assert_equal ['GET', '/greet'], sh['request'].values_at('method', 'route')
    assert_match(/shop_app\.rb:\d+/, sh['frame'])
    pt = attack('path_traversal') { |a| a['input']['name'] == 'query.name' }
    assert_equal 'File.read', pt['sink']
    param = attack('shell_injection') { |a| a['input']['name'] == 'params.name' }
    assert_equal ['bob;echo id', '/hi/:name'], [param['input']['value'], param['request']['route']]
    ssrf = attack('ssrf')
    assert_equal ['query.url', upstream], [ssrf['input']['name'], ssrf['target']]
    ci = attack('command_injection')
    assert_equal ['body.dir', 'Open3.capture2'], [ci['input']['name'], ci['sink']]
    plain = attack('shell_injection') { |a| a['input']['name'] == 'query.dir' }
    assert_nil plain['request']['route']

    exec = @agent.event('process.exec of the injected command') { |e| e['kind'] == 'process.exec' && e.dig('exec', 'command_line') == 'echo Hello bob; echo pwned' }
    assert_equal true, exec['exec']['shell']
    refute_nil exec['request_id']
    request = @agent.event('the http.request of that exec') { |e| e['kind'] == 'http.request' && e['request_id'] == exec['request_id'] }
    assert_equal [200, '/greet'], request['http'].values_at('status', 'route')
    env = @agent.event('fs.op on /proc/self/environ') { |e| e['kind'] == 'fs.op' && e.dig('fs', 'path') == '/proc/self/environ' }
    assert_equal 'readFile', env['fs']['op']
    @agent.event('the sensitive-file alert') { |e| e['kind'] == 'alert' && e.dig('alert', 'rule') == 'Sensitive file read by application' }
    @agent.event('the shell injection alert') { |e| e['kind'] == 'alert' && e.dig('alert', 'rule') == 'Shell injection' }
    client = @agent.event('http.client to the upstream') { |e| e['kind'] == 'http.client' && e.dig('http', 'url') == upstream }
    assert_equal 200, client['http']['status']
    @agent.event('http.request for the 500') { |e| e['kind'] == 'http.request' && e.dig('http', 'status') == 500 }

    # SIGTERM: the summary window of the unremarkable requests is flushed on the way out.
    @app.stop
    summary = @agent.event('http.summary at exit') { |e| e['kind'] == 'http.summary' }
    health = summary['http']['server'].find { |r| r['route'] == '/health' }
    assert_equal [1, 200, 'GET'], health.values_at('count', 'status', 'method')
    assert(@agent.events.none? { |e| e['kind'] == 'http.request' && e.dig('http', 'route') == '/health' }, 'unremarkable requests are only counted')
  end

  def test_block_mode_stops_the_call_and_answers_403
    start_app(mode: 'block')
    marker = File.join(@dir, 'pwned')
    blocked = @app.get("/greet?name=#{q("x; touch #{marker}")}")
    assert_equal '403', blocked.code
    assert_equal 'blocked by sidewatch', JSON.parse(blocked.body)['error']
    refute File.exist?(marker), 'the command never ran'
    careful = @app.get("/careful?name=#{q("x; touch #{marker}")}")
    assert_equal '403', careful.code, "the app's own rescue does not turn the block into a 500"
    refute File.exist?(marker)
    assert_equal '403', @app.get("/file?name=#{q('../../../../../../etc/passwd')}").code
    assert_equal '403', @app.get("/preview?url=#{q('http://169.254.169.254/latest/meta-data/')}").code
    assert_equal "Hello bob\n", @app.get('/greet?name=bob').body, 'normal traffic is untouched'

    sh = attack('shell_injection') { |a| a['blocked'] }
    assert_equal true, sh['blocked']
    exec = @agent.event('the blocked process.exec') { |e| e['kind'] == 'process.exec' && e.dig('exec', 'blocked') }
    assert_nil exec['exec']['pid']
    req = @agent.event('the blocked http.request') { |e| e['kind'] == 'http.request' && e.dig('http', 'blocked') }
    assert_equal 403, req['http']['status']
    attack('ssrf') { |a| a['blocked'] && a['target'].include?('169.254.169.254') }
  end

  def test_the_agent_mode_applies_when_the_app_does_not_pin_it
    @agent.cleanup
    @agent = RealAgent.new(mode: 'block')
    start_app
    ready = Wait.until('the welcome to arrive') do
      res = @app.get("/greet?name=#{q('a;id')}")
      res.code == '403' ? res : nil
    end
    assert_equal '403', ready.code
  end

  def test_with_the_agent_down_the_app_serves_normally_and_exits_in_time
    @agent.cleanup
    start_app(agent: "unix:#{File.join(@dir, 'nobody-listens.sock')}")
    20.times { assert_equal "Hello bob\n", @app.get('/greet?name=bob').body }
    assert_equal "Hello x\nid\n", @app.get("/greet?name=#{q('x;echo id')}").body
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    status = @app.stop
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 5, 'exit is bounded by SIDEWATCH_FLUSH_TIMEOUT_MS'
    refute_nil status
    assert_match(/SW_ERR_AGENT_UNREACHABLE|^$/, @app.stderr_tail)
    @agent = nil
  end
end
