# frozen_string_literal: true

module Sidewatch
  module Reporter
    # Reconnect delays: exponential from min_ms, doubling per failed attempt up to max_ms, with
    # "equal jitter" (a delay drawn from [d/2, d]) so SDKs whose agent restarts do not all come
    # back in the same millisecond.
    class Backoff
      attr_reader :attempt

      def initialize(min_ms:, max_ms:, random: Random.new)
        @min = [1, min_ms].max
        @max = [@min, max_ms].max
        @random = random
        @attempt = 0
      end

      # The delay in ms before the next attempt; each call counts one more failed attempt.
      def next_ms
        ceiling = [@max, @min * (2**[@attempt, 30].min)].min
        @attempt += 1
        (ceiling / 2.0 + @random.rand * (ceiling / 2.0)).round
      end

      # Straight to the cap: the agent refused us and trying fast would not help.
      def to_cap
        @attempt = [@attempt, Math.log2(@max.to_f / @min).ceil].max
      end

      def reset
        @attempt = 0
      end
    end
  end
end
