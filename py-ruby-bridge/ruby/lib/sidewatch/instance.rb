# frozen_string_literal: true

require 'socket'
require_relative 'config'
require_relative 'redact'
require_relative 'reporter/client'
require_relative 'reporter/http_summary'
require_relative 'reporter/envelope'
require_relative 'fork_safety'
require_relative 'request_context'

module Sidewatch
  # One running bridge: configuration, identity, the agent client and the http.summary window.
  class Instance
    attr_reader :config, :identity, :client, :summary

    def initialize(config)
      @config = config
      @http_all = config.http_events == 'all'
      Redact.names = config.redact
      @identity = Reporter::Identity.new(config.service, { 'name' => 'ruby', 'version' => RUBY_VERSION }, Process.pid, host_name)
      @client = Reporter::Client.new(config, @identity)
      @summary = Reporter::HttpSummary.new
      @client.every(config.summary_interval_ms) { flush_summary }
    end

    def mode
      @client.mode
    end

    def http_all?
      @http_all
    end

    def report(event)
      ForkSafety.check_pid(self) if ForkSafety::LAZY
      @client.enqueue(event)
    end

    def flush_summary
      event = @summary.take(@identity)
      report(event) unless event.nil?
    end

    # At exit: the current summary window, then what is queued, within flush_timeout_ms.
    def flush
      flush_summary
      @client.flush
    end

    def stop
      @client.stop
    end

    def after_fork
      Reporter::Envelope.reseed
      RequestContext.reseed
      @summary = Reporter::HttpSummary.new
      @client.after_fork
    end

    private

    def host_name
      name = Socket.gethostname
      name.nil? || name.empty? ? nil : name[0, 256]
    rescue StandardError
      nil
    end
  end
end
