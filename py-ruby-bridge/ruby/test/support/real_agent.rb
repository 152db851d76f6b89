# frozen_string_literal: true

require 'json'
require 'tmpdir'
require 'fileutils'
require_relative 'repo'
require_relative 'wait'

# The real sidewatch agent (packages/agent, built by `npx tsc -b`), on a unix socket and an
# ephemeral loopback port, with a jsonl sink in a temp dir. Waits on its "listening" log lines.
class RealAgent
  attr_reader :dir, :unix, :tcp, :jsonl, :token

  def self.available?
    File.exist?(File.join(RepoPaths::ROOT, 'packages', 'agent', 'dist', 'cli.js')) || File.exist?(File.join(RepoPaths::ROOT, 'packages', 'agent', 'dist', 'agent.js'))
  end

  def initialize(dir: Dir.mktmpdir('sidewatch-rb-agent-'), token: 'rb-token', unix: nil, mode: nil)
    @dir = dir
    @token = token
    @unix = unix || File.join(dir, 'agent.sock')
    @jsonl = File.join(dir, 'events.jsonl')
    @log = File.join(dir, "agent-#{object_id}.log")
    args = ['node', RepoPaths::AGENT_BIN, 'run', '--listen', "unix:#{@unix}", '--listen', 'tcp://127.0.0.1:0',
            '--token', token, '--sink', "jsonl:#{@jsonl}", '--proc', 'off', '--capture', 'off']
    env = { 'SIDEWATCH_LOG_LEVEL' => 'debug' }
    unless mode.nil?
      config = File.join(dir, 'agent-config.json')
      File.write(config, JSON.generate('mode' => mode))
      args.push('--config', config)
    end
    @pid = Process.spawn(env, *args, out: File::NULL, err: @log, pgroup: true)
    listening = Wait.until('the agent to listen') do
      lines = log_lines.select { |l| l['msg'] == 'listening' }
      lines.length >= 2 ? lines : nil
    end
    @tcp = listening.map { |l| l['address'] }.find { |a| a.start_with?('tcp://') }
  end

  def log_lines
    return [] unless File.exist?(@log)

    File.readlines(@log).filter_map { |line| JSON.parse(line) rescue nil } # rubocop:disable Style/RescueModifier
  end

  def events
    return [] unless File.exist?(@jsonl)

    File.readlines(@jsonl).filter_map { |line| JSON.parse(line) rescue nil } # rubocop:disable Style/RescueModifier
  end

  # The first event matching the block, waited for.
  def event(what, timeout: 15, &match)
    Wait.until("#{what} at the agent (kinds so far: #{events.map { |e| e['kind'] }.tally})", timeout: timeout) { events.find(&match) }
  end

  def stop(signal = 'TERM')
    return if @pid.nil?

    Process.kill(signal, @pid)
    Process.wait(@pid)
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  ensure
    @pid = nil
  end

  def cleanup
    stop('KILL')
    FileUtils.rm_rf(@dir)
  end
end
