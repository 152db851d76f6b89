# frozen_string_literal: true

require_relative 'test_helper'
require_relative 'support/wait'
require_relative 'support/scripted_agent'
require 'tmpdir'
require 'webrick'
require 'open3'
require 'net/http'
require 'sidewatch'

# The hooks in a real Ruby process (this one), reporting to a scripted peer: which calls become
# which events, with which shapes (every event is checked against the event schema), Ruby's
# shell rules, and that the application's calls behave exactly as without the bridge.
class HooksTest < Minitest::Test
  PEER = ScriptedAgent.new
  Sidewatch.start(agent: PEER.address, service: 'hooks-test', flush_interval_ms: 10, mode: 'monitor')

  def events_for(what, &match)
    Wait.until(what) { PEER.events.select(&match).then { |found| found.empty? ? nil : found } }
  end

  def exec_event(command_line)
    events_for("process.exec #{command_line}") { |e| e['kind'] == 'process.exec' && e.dig('exec', 'command_line') == command_line }.first
  end

  def test_every_event_matches_the_schema
    system('true')
    Wait.until('some events') { PEER.events.length >= 1 }
    PEER.events.each { |e| assert_nil Sidewatch::Proto::EventValidator.validate(e), e.inspect }
  end

  def test_system_uses_a_shell_only_for_metacharacters
    assert system('echo plain words > /dev/null 2>&1') # metacharacters: a shell
    e = exec_event('echo plain words > /dev/null 2>&1')
    assert_equal ['/bin/sh', ['-c', 'echo plain words > /dev/null 2>&1'], true], [e['exec']['file'], e['exec']['args'], e['exec']['shell']]

    assert system('true  --ignored   words')
    e = exec_event('true --ignored words')
    assert_equal ['true', %w[--ignored words], false, 'system', true], e['exec'].values_at('file', 'args', 'shell', 'method', 'sync')
    assert_kind_of Integer, e['exec']['pid']

    assert system('true', 'a b', 'c;d')
    e = exec_event('true a b c;d')
    assert_equal [false, ['a b', 'c;d']], [e['exec']['shell'], e['exec']['args']]

    assert system(%w[true argv0], 'x')
    exec_event('true x')
    assert system('FOO=1 true')
    assert_equal true, exec_event('FOO=1 true')['exec']['shell']
  end

  def test_spawn_backticks_popen_and_open3
    pid = spawn('true', 'spawned')
    Process.wait(pid)
    assert_equal pid, exec_event('true spawned')['exec']['pid']

    assert_equal "hi\n", `echo hi`
    assert_equal 'backtick', exec_event('echo hi')['exec']['method']

    assert_equal "po\n", IO.popen(%w[echo po], &:read)
    assert_equal 'IO.popen', exec_event('echo po')['exec']['method']
    assert_equal "ps\n", IO.popen('echo ps | cat').read
    assert_equal true, exec_event('echo ps | cat')['exec']['shell']

    out, status = Open3.capture2('echo', 'o3')
    assert_equal ["o3\n", true], [out, status.success?]
    e = exec_event('echo o3')
    assert_equal ['Open3.capture2', true], e['exec'].values_at('method', 'sync')
  end

  def test_a_failing_command_is_reported_with_its_error_and_raises_as_before
    error = assert_raises(Errno::ENOENT) { spawn('/nonexistent/tool', 'x') }
    e = exec_event('/nonexistent/tool x')
    assert_match(/ENOENT|No such file/, e['exec']['error'])
    assert_kind_of Errno::ENOENT, error
  end

  def test_files_only_sensitive_ones_are_reported
    Dir.mktmpdir do |dir|
      File.write(File.join(dir, 'plain.txt'), 'x')
      assert_equal 'x', File.read(File.join(dir, 'plain.txt'))
      secret = File.join(dir, '.aws', 'credentials')
      Dir.mkdir(File.dirname(secret))
      File.write(secret, 'key')
      File.open(secret, 'r', &:read)
      opened = events_for('fs.op open') { |e| e['kind'] == 'fs.op' && e.dig('fs', 'path') == secret && e.dig('fs', 'op') == 'open' }
      assert_equal 'r', opened.first.dig('fs', 'flags')
      written = events_for('fs.op writeFile') { |e| e['kind'] == 'fs.op' && e.dig('fs', 'path') == secret && e.dig('fs', 'op') == 'writeFile' }
      refute_empty written
      system('true', 'marker-after-files')
      exec_event('true marker-after-files')
      assert(PEER.events.none? { |e| e['kind'] == 'fs.op' && e.dig('fs', 'path').to_s.end_with?('plain.txt') }, 'benign files are not reported')
    end
  end

  # The File.read and File.new hooks name their optional arguments: each shape still reaches
  # Ruby as given (left out stays left out), and so does a file descriptor or a pipe.
  def test_file_hooks_pass_every_argument_shape_through
    Dir.mktmpdir do |dir|
      path = File.join(dir, 'shapes.txt')
      File.write(path, 'abcdef')
      assert_equal ['abcdef', 'ab', 'cd', 'abcdef'.b, 'abc'], [File.read(path), File.read(path, 2), File.read(path, 2, 2), File.read(path, mode: 'rb'), IO.read(path, 3, encoding: 'UTF-8')]
      assert_equal [Encoding::BINARY, 'bc'], [File.binread(path).encoding, File.binread(path, 2, 1)]
      assert_equal 'hi', IO.read('| echo hi').chomp
      File.new(File.join(dir, 'new.txt'), 'w', 0o600) { nil }.close
      assert_equal 0o600, File.stat(File.join(dir, 'new.txt')).mode & 0o777
      assert_equal 'abcdef', File.open(path, mode: 'r', &:read)
      assert_equal 'ab', File.open(path, 'r') { |f| f.read(2) }
      File.open(File.join(dir, 'perm.txt'), File::WRONLY | File::CREAT, perm: 0o640) { |f| f.write('x') }
      assert_equal 0o640, File.stat(File.join(dir, 'perm.txt')).mode & 0o777
      fd = IO.sysopen(path)
      assert_equal 'abcdef', File.new(fd, 'r').read
      assert_raises(ArgumentError) { File.new(path, 'r', 0o644, 1) }
      assert_raises(TypeError) { File.read(path, 'x') }
    end
  end

  def test_net_http_calls_on_a_new_connection_are_reported
    server = WEBrick::HTTPServer.new(BindAddress: '127.0.0.1', Port: 0, Logger: WEBrick::Log.new(File::NULL), AccessLog: [])
    server.mount_proc('/hello') { |_, res| res.body = 'ok' }
    thread = Thread.new { server.start }
    port = server.config[:Port]
    uri = URI("http://127.0.0.1:#{port}/hello?q=1")
    assert_equal 'ok', Net::HTTP.get_response(uri).body
    e = events_for('http.client') { |x| x['kind'] == 'http.client' && x.dig('http', 'url') == uri.to_s }.first
    assert_equal ['GET', '127.0.0.1', port, 200], e['http'].values_at('method', 'host', 'port', 'status')
    assert_equal({ 'address' => '127.0.0.1', 'port' => port }, e['http']['remote'])

    Net::HTTP.start('127.0.0.1', port) { |h| 2.times { h.get('/hello?keep=1') } }
    calls = events_for('the first call on the connection') { |x| x['kind'] == 'http.client' && x.dig('http', 'url').to_s.include?('keep=1') }
    assert_equal 1, calls.length, 'the second call on the same connection is only counted'
  ensure
    server&.shutdown
    thread&.join
  end

  def test_outside_a_request_nothing_is_judged
    assert_equal "; id\n", `echo '; id'`
    exec_event("echo '; id'")
    assert(PEER.events.none? { |e| e['kind'] == 'attack' })
  end
end

# Libraries the application loads after the bridge started are hooked when they load.
class LateLoadTest < Minitest::Test
  def test_hooks_wait_for_their_library
    lib = File.expand_path('../lib', __dir__)
    script = 'require "sidewatch"; Sidewatch.start(agent: "unix:/nonexistent"); print defined?(Net::HTTP).inspect, " "; ' \
             'require "net/http"; require "open3"; print Net::HTTP.ancestors.first.name, " ", Open3.singleton_class.ancestors.first.name'
    out, status = Open3.capture2('ruby', '-I', lib, '-e', script)
    assert status.success?
    assert_equal 'nil Sidewatch::Hooks::NetHttpHooks::Instance Sidewatch::Hooks::PopenHooks::Open3Methods', out
  end
end
