# frozen_string_literal: true

require_relative 'calls'
require_relative 'detectors'
require_relative 'request_context'
require_relative 'reporter/events'
require_relative 'warn'
require_relative 'errors'

module Sidewatch
  # What every hook calls around the call it wraps: judge the call against the current request's
  # inputs before it happens (an `attack` event; in block mode Blocked is raised instead of the
  # call), then report it the way node-asm does (observe.ts):
  # - every child process;
  # - file-system calls on a sensitive file or in which an attack was found;
  # - outbound calls on a new connection, that failed, or were an attack;
  # and mark the request notable so that its http.request event is sent too.
  # Anything failing in here is counted and swallowed: the application's call goes through.
  module Sinks
    INTERNAL = :sidewatch_internal

    module_function

    # The running instance when hooks should act on this thread, else nil.
    def instance
      return nil if Thread.current[INTERNAL]

      Sidewatch.instance
    end

    def exec(call)
      sw = instance
      return yield if sw.nil?

      judge(sw, call, Hooks::ProcessHooks::SINKS.fetch(call.method, call.method)) do |inputs|
        call.shell ? Detectors::ShellInjection.detect(call.command_line, inputs) : Detectors::CommandInjection.detect(call.file, call.args, inputs)
      end
      # (Kernel#exec reports before the process image is replaced: not twice.)
      report = -> { report_in_request(sw) { |id| Reporter::Events.exec(sw.identity, call, id) } unless call.instance_variable_get(:@reported) }
      perform(call, nil, report) { yield }
    end

    # `label`: the file's sensitive-path label (SensitivePaths.label of call.resolved), when the
    # hook already knows it.
    def fs(call, label = Detectors::SensitivePaths.label(call.resolved))
      sw = instance
      return yield if sw.nil?

      judge(sw, call, call.sink, path_only: true) { |inputs| Detectors::PathTraversal.detect(call.path, call.resolved, inputs, call.op) }
      return yield unless call.attack || label

      report = -> { report_in_request(sw) { |id| Reporter::Events.fs(sw.identity, call, id) } }
      perform(call, nil, report) { yield }
    end

    def http(call)
      sw = instance
      return yield if sw.nil?

      judge(sw, call, 'Net::HTTP.request') { |inputs| Detectors::Ssrf.detect(call.url, inputs) } unless call.url.nil?
      report = lambda do
        if sw.http_all? || call.new_connection || call.error || call.attack
          report_in_request(sw) { |id| Reporter::Events.http_client(sw.identity, call, id) }
        else
          sw.summary.add_call(call.method, call.host, call.port, call.status, call.duration_ms || 0)
        end
      end
      perform(call, monotonic, report) { yield }
    end

    # Runs the detector with the current request's inputs; on a finding reports it and, in
    # block mode, stops the call.
    # `path_only`: the detector looks only at values that can move a path (RequestContext#path_inputs).
    def judge(sw, call, sink, path_only: false)
      request = RequestContext.current
      return if request.nil?

      finding = Warn.guard('judging a call') { yield path_only ? request.path_inputs : request.inputs }
      return if finding.nil?

      block = sw.mode == 'block'
      call.attack = finding.class_name
      request.notable = true
      Warn.guard('reporting an attack') { sw.report(Reporter::Events.attack(sw.identity, finding, sink, request, block)) }
      return unless block

      call.blocked = true
      request.blocked = true
      report_blocked(sw, call)
      raise Blocked.new(finding.class_name, sink)
    end

    # The call's own event for a call that never happened.
    def report_blocked(sw, call)
      Warn.guard('reporting a blocked call') do
        case call
        when Calls::Exec then report_in_request(sw) { |id| Reporter::Events.exec(sw.identity, call, id) }
        when Calls::Fs then report_in_request(sw) { |id| Reporter::Events.fs(sw.identity, call, id) }
        when Calls::Http then report_in_request(sw) { |id| Reporter::Events.http_client(sw.identity, call, id) }
        end
      end
    end

    # Runs the call, records the error it raised (raised on unchanged), then reports it.
    def perform(call, started, report)
      yield
    rescue StandardError => e
      call.error ||= e
      raise
    ensure
      call.duration_ms ||= (monotonic - started) * 1000 unless started.nil?
      Warn.guard('reporting a call') { report.call }
    end

    def report_in_request(sw)
      request = RequestContext.current
      request.notable = true unless request.nil?
      sw.report(yield(request&.id))
    end

    def monotonic
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end
  end
end
