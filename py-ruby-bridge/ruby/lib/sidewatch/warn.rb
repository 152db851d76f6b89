# frozen_string_literal: true

module Sidewatch
  # The bridge's only output: one line per error code for the life of the process, on stderr,
  # `sidewatch: CODE: message`. Internal failures are also counted.
  module Warn
    @warned = {}
    @internal_errors = 0
    @lock = Mutex.new

    class << self
      attr_reader :internal_errors

      def once(code, message)
        first = @lock.synchronize { @warned[code] ? false : (@warned[code] = true) }
        return unless first

        $stderr.write("sidewatch: #{code}: #{message.gsub(/\s*\n\s*/, ' ')}\n")
      rescue StandardError
        nil # stderr closed: nothing more to do, and nothing the app should see
      end

      # An SDK failure caught on its way to the application.
      def internal(where, error)
        @internal_errors += 1
        once('SW_ERR_INTERNAL', "#{where} failed (#{error.class}: #{error.message}); the application is not affected")
      end

      # Runs the block; an SDK failure inside is counted and reported, never raised.
      def guard(where)
        yield
      rescue Blocked
        raise
      rescue StandardError => e
        internal(where, e)
        nil
      end
    end
  end
end
