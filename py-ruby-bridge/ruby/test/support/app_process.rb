# frozen_string_literal: true

require 'json'
require 'net/http'
require 'fileutils'
require_relative 'repo'
require_relative 'wait'

# A test app in its own Ruby process with the bridge turned on from outside
# (`ruby -I lib -rsidewatch/auto`, or RUBYOPT/RUBYLIB), waited on until it says it listens.
class AppProcess
  attr_reader :port, :stderr_path

  def initialize(script, env: {}, via: :flag, dir:, wrapper: [])
    FileUtils.mkdir_p(File.join(dir, 'public'))
    File.write(File.join(dir, 'public', 'hello.txt'), 'hello')
    @out_path = File.join(dir, "app-#{object_id}.out")
    @stderr_path = File.join(dir, "app-#{object_id}.err")
    base = { 'SHOP_DIR' => dir, 'SIDEWATCH_SERVICE' => 'rb-shop', 'SIDEWATCH_FLUSH_INTERVAL_MS' => '20' }.merge(env)
    command = if via == :rubyopt
                base = base.merge('RUBYOPT' => '-rsidewatch/auto', 'RUBYLIB' => RepoPaths::LIB)
                [*wrapper, 'ruby', script]
              else
                [*wrapper, 'ruby', '-I', RepoPaths::LIB, '-rsidewatch/auto', script]
              end
    @pid = Process.spawn(base, *command, out: @out_path, err: @stderr_path, pgroup: true)
    line = Wait.until("the app to listen (stderr: #{stderr_tail})", timeout: 30) do
      File.exist?(@out_path) && File.readlines(@out_path).filter_map { |l| JSON.parse(l) rescue nil }.find { |l| l['msg'] == 'shop listening' } # rubocop:disable Style/RescueModifier
    end
    @port = line['port']
  end

  def stderr_tail
    File.exist?(@stderr_path) ? File.read(@stderr_path)[-400..] || File.read(@stderr_path) : ''
  end

  def get(path, headers = {})
    Net::HTTP.start('127.0.0.1', @port, read_timeout: 20) { |h| h.get(path, headers) }
  end

  def post_json(path, body)
    Net::HTTP.start('127.0.0.1', @port, read_timeout: 20) { |h| h.post(path, JSON.generate(body), 'content-type' => 'application/json') }
  end

  # SIGTERM, as ECS stops a task; returns the exit status.
  def stop
    return if @pid.nil?

    Process.kill('TERM', @pid)
    _, status = Process.wait2(@pid)
    @pid = nil
    status
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  end

  def kill
    Process.kill('KILL', -@pid) unless @pid.nil?
    Process.wait(@pid) unless @pid.nil?
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  ensure
    @pid = nil
  end
end
