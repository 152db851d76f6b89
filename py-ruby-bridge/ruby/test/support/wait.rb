# frozen_string_literal: true

# Waiting on a condition with a deadline (never sleep-and-hope).
module Wait
  module_function

  def until(what, timeout: 15)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
    loop do
      value = yield
      return value if value

      raise Minitest::Assertion, "timed out after #{timeout} s waiting for #{what}" if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      sleep 0.02
    end
  end
end
