# frozen_string_literal: true

require_relative 'test_helper'
require_relative 'support/real_agent'
require 'open3'

# A forked child gets its own connection and queue (Process._fork hook on Ruby 3.1+), reports
# with its own pid, and does not resend what the parent had queued.
class ForkTest < Minitest::Test
  def test_parent_and_child_both_report_with_their_own_pid
    skip 'agent not built (npx tsc -b)' unless RealAgent.available?
    agent = RealAgent.new
    lib = File.expand_path('../lib', __dir__)
    script = <<~RUBY
      system('true', 'parent-before')
      pid = fork do
        system('true', 'in-child')
        Sidewatch.flush
        exit!(0)
      end
      Process.wait(pid)
      system('true', 'parent-after')
      puts pid
    RUBY
    out, err, status = Open3.capture3({ 'SIDEWATCH_AGENT' => "unix:#{agent.unix}", 'SIDEWATCH_TOKEN' => agent.token },
                                      'ruby', '-I', lib, '-rsidewatch/auto', '-e', script)
    assert status.success?, err
    child_pid = out.to_i
    child = agent.event('the child exec') { |e| e['kind'] == 'process.exec' && e.dig('exec', 'command_line') == 'true in-child' }
    assert_equal child_pid, child['pid']
    parent = agent.event('the parent exec after the fork') { |e| e['kind'] == 'process.exec' && e.dig('exec', 'command_line') == 'true parent-after' }
    refute_equal child_pid, parent['pid']
    agent.event('the parent exec before the fork') { |e| e['exec'] && e['exec']['command_line'] == 'true parent-before' }
    assert_equal 1, agent.events.count { |e| e['exec'] && e['exec']['command_line'] == 'true parent-before' }, 'the child does not resend the parent queue'
  ensure
    agent&.cleanup
  end
end
