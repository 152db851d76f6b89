# frozen_string_literal: true

require_relative 'test_helper'
require_relative 'support/wait'
require 'socket'
require 'open3'
require 'sidewatch'

# Nothing the bridge meets raises into the application: an agent speaking garbage, a hook
# failing inside, arguments the hooks do not understand.
class FailOpenTest < Minitest::Test
  GARBAGE = TCPServer.new('127.0.0.1', 0)
  Thread.new do
    loop do
      s = GARBAGE.accept
      s.write("\xff\x00\x00\x00\x01junk".b) # undefined flag bits: a fatal framing error for the client
      s.close
    end
  rescue IOError
    nil
  end
  Sidewatch.start(agent: "tcp://127.0.0.1:#{GARBAGE.addr[1]}", flush_interval_ms: 5, reconnect_min_ms: 5, reconnect_max_ms: 20)

  def test_an_agent_sending_garbage_does_not_reach_the_app
    50.times { |i| assert system('true', "garbage-#{i}") }
    Wait.until('a few reconnects') { Sidewatch.stats[:reconnects] >= 2 }
    assert_equal "still fine\n", `echo still fine`
  end

  def test_a_failing_hook_lets_the_call_through_and_counts_the_failure
    before = Sidewatch::Warn.internal_errors
    Sidewatch::Hooks::CommandLine.singleton_class.alias_method(:original_describe, :describe)
    Sidewatch::Hooks::CommandLine.define_singleton_method(:describe) { |*| raise 'hook bug' }
    begin
      assert_equal "through\n", `echo through`
    ensure
      Sidewatch::Hooks::CommandLine.singleton_class.alias_method(:describe, :original_describe)
    end
    assert_equal before + 1, Sidewatch::Warn.internal_errors
  end

  def test_unusual_arguments_behave_exactly_as_without_the_bridge
    assert_raises(TypeError) { system(nil) }
    assert_raises(ArgumentError) { system }
    assert_raises(TypeError) { File.open(nil) }
    assert_raises(Errno::ENOENT) { File.read('/nonexistent/x') }
    File.open(IO.sysopen('/dev/null')) { |f| assert_kind_of File, f }
    assert_equal "x\n", IO.popen(['echo', 'x']).read
    r, w = IO.pipe
    w.write('pipe')
    w.close
    assert_equal 'pipe', r.read
  end

  def test_private_kernel_methods_stay_private
    assert_raises(NoMethodError) { Object.new.system('true') }
    refute Object.new.respond_to?(:spawn)
    assert Kernel.respond_to?(:system)
  end
end
