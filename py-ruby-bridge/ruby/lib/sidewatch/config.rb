# frozen_string_literal: true

require_relative 'agent_address'

module Sidewatch
  # The bridge's configuration: Sidewatch.start(options) first, then the same SIDEWATCH_*
  # environment variables as node-asm (packages/node-asm/src/config.ts), then defaults. A bad
  # value never raises: it becomes one sentence in `problems` (printed once as SW_ERR_CONFIG) and
  # the default is used.
  Config = Struct.new(:disabled, :agent, :token, :service, :mode, :mode_pinned, :http_events, :redact,
                      :summary_interval_ms, :queue_size, :batch_events, :batch_bytes, :flush_interval_ms,
                      :flush_timeout_ms, :handshake_timeout_ms, :reconnect_min_ms, :reconnect_max_ms,
                      :max_inflight_batches, keyword_init: true)

  module ConfigReader
    DEFAULT_AGENT = 'tcp://127.0.0.1:7878'
    TRUE = /\A(1|true|yes|on)\z/i.freeze
    FALSE = /\A(0|false|no|off|)\z/i.freeze
    # key, environment variable, default, min, max
    INTEGERS = [
      [:summary_interval_ms, 'SIDEWATCH_SUMMARY_INTERVAL_MS', 10_000, 100, 3_600_000],
      [:queue_size, 'SIDEWATCH_QUEUE_SIZE', 10_000, 1, 1_000_000],
      [:batch_events, 'SIDEWATCH_BATCH_SIZE', 256, 1, 10_000],
      [:batch_bytes, 'SIDEWATCH_BATCH_BYTES', 256 * 1024, 1024, 900 * 1024],
      [:flush_interval_ms, 'SIDEWATCH_FLUSH_INTERVAL_MS', 200, 1, 60_000],
      [:flush_timeout_ms, 'SIDEWATCH_FLUSH_TIMEOUT_MS', 2000, 0, 60_000],
      [:handshake_timeout_ms, nil, 5000, 10, 60_000],
      [:reconnect_min_ms, nil, 100, 1, 60_000],
      [:reconnect_max_ms, nil, 10_000, 1, 600_000],
      [:max_inflight_batches, nil, 8, 1, 1000]
    ].freeze

    module_function

    # [Config, problems]
    def read(options = {}, env = ENV)
      problems = []
      values = {
        disabled: disabled(options, env, problems),
        agent: agent(options, env, problems),
        token: options.fetch(:token) { env['SIDEWATCH_TOKEN'].to_s.empty? ? nil : env['SIDEWATCH_TOKEN'] },
        service: service(options, env, problems),
        http_events: http_events(options, env, problems),
        redact: options.fetch(:redact) { env['SIDEWATCH_REDACT'].to_s.split(',').map(&:strip).reject(&:empty?) }
      }
      values[:mode], values[:mode_pinned] = mode(options, env, problems)
      INTEGERS.each { |spec| values[spec[0]] = integer(spec, options, env, problems) }
      values[:reconnect_max_ms] = values[:reconnect_min_ms] if values[:reconnect_max_ms] < values[:reconnect_min_ms]
      [Config.new(**values), problems]
    end

    def disabled(options, env, problems)
      return options[:disabled] ? true : false if options.key?(:disabled)

      text = env['SIDEWATCH_DISABLED'].to_s.strip
      return true if TRUE.match?(text)
      return false if FALSE.match?(text)

      problems << "SIDEWATCH_DISABLED=#{text.inspect} is not 1/true/yes/on or 0/false/no/off; using enabled"
      false
    end

    def agent(options, env, problems)
      text = options[:agent] || env['SIDEWATCH_AGENT'] || DEFAULT_AGENT
      parsed = AgentAddress.parse(text)
      return parsed if parsed.is_a?(AgentAddress)

      problems << "SIDEWATCH_AGENT=#{text.inspect} #{parsed}; using #{DEFAULT_AGENT}"
      AgentAddress.parse(DEFAULT_AGENT)
    end

    def mode(options, env, problems)
      text = options[:mode]&.to_s || env['SIDEWATCH_MODE']
      return ['monitor', false] if text.nil?
      return [text, true] if %w[monitor block].include?(text)

      problems << "SIDEWATCH_MODE=#{text.inspect} is not monitor or block; using monitor"
      ['monitor', false]
    end

    def service(options, env, problems)
      name = options[:service] || env['SIDEWATCH_SERVICE']
      return name if !name.nil? && !name.empty? && name.length <= 256

      problems << "SIDEWATCH_SERVICE must be 1-256 characters (got #{name.length}); using the default name" unless name.nil?
      default_service
    end

    # The script's name without its extension (`app.rb` -> `app`), or `ruby`.
    def default_service
      base = File.basename($PROGRAM_NAME.to_s, '.*')
      base.empty? || base == '-e' || base == '-' ? 'ruby' : base[0, 256]
    end

    def http_events(options, env, problems)
      text = options[:http_events]&.to_s || env['SIDEWATCH_HTTP_EVENTS'] || 'security'
      return text if %w[security all].include?(text)

      problems << "SIDEWATCH_HTTP_EVENTS=#{text.inspect} is not security or all; using security"
      'security'
    end

    def integer(spec, options, env, problems)
      key, var, default, min, max = spec
      if options.key?(key)
        value = options[key]
        setting = "#{key}=#{value}"
      else
        text = var.nil? ? nil : env[var]
        return default if text.nil? || text.empty?

        value = /\A\s*\d+\s*\z/.match?(text) ? text.to_i : nil
        setting = "#{var}=#{text.inspect}"
      end
      return value if value.is_a?(Integer) && value >= min && value <= max

      problems << "#{setting} is not an integer from #{min} to #{max}; using #{default}"
      default
    end
  end
end
