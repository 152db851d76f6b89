# frozen_string_literal: true

# sidewatch for Ruby: runtime security monitoring over the sidewatch wire protocol.
#
#   require "sidewatch"
#   Sidewatch.start            # or: ruby -rsidewatch/auto app.rb
#   use Sidewatch::Rack::Middleware
#
# Standard library only. Nothing here raises into the application except Sidewatch::Blocked,
# which block mode raises in place of a call it stops.
require_relative 'sidewatch/version'
require_relative 'sidewatch/errors'
require_relative 'sidewatch/warn'
require_relative 'sidewatch/config'
require_relative 'sidewatch/instance'
require_relative 'sidewatch/sinks'
require_relative 'sidewatch/hooks'
require_relative 'sidewatch/fork_safety'
require_relative 'sidewatch/rack/middleware'
require_relative 'sidewatch/rack/auto_insert'

module Sidewatch
  @instance = nil
  @lock = Mutex.new
  @exit_hook = false

  class << self
    attr_reader :instance

    # Starts the bridge once per process (later calls return the running one). Options override
    # the SIDEWATCH_* environment variables: agent:, token:, service:, mode:, disabled:, ...
    def start(**options)
      @lock.synchronize do
        return @instance unless @instance.nil?

        config, problems = ConfigReader.read(options)
        Warn.once('SW_ERR_CONFIG', problems.join('; ')) unless problems.empty?
        return nil if config.disabled

        @instance = Instance.new(config)
        Hooks.install
        ForkSafety.install
        Rack::AutoInsert.install
        Rack::SinatraParams.install
        install_exit_hook
        @instance
      end
    rescue StandardError => e
      Warn.internal('starting sidewatch', e)
      nil
    end

    # Stops reporting; the hooks stay in place and pass every call straight through.
    def stop
      instance = @lock.synchronize { @instance.tap { @instance = nil } }
      instance&.stop
    end

    def active?
      !@instance.nil?
    end

    # monitor or block: SIDEWATCH_MODE when set, else the agent's (monitor until a welcome).
    def mode
      @instance&.mode || 'monitor'
    end

    def stats
      @instance&.client&.stats || {}
    end

    # Delivers what is queued now, waiting at most flush_timeout_ms.
    def flush
      @instance&.flush
    rescue StandardError => e
      Warn.internal('flushing', e)
    end

    def after_fork
      @instance&.after_fork
    rescue StandardError => e
      Warn.internal('resetting after fork', e)
    end

    private

    def install_exit_hook
      return if @exit_hook

      @exit_hook = true
      at_exit { Sidewatch.flush }
    end
  end
end
