# frozen_string_literal: true

require_relative 'envelope'
require_relative '../app_frame'
require_relative '../redact'

module Sidewatch
  module Reporter
    # The wire events this bridge sends, with the same kinds and shapes as node-asm's
    # (packages/node-asm/src/reporter/events*.ts).
    module Events
      MAX_ARGS = 1024
      MAX_ARG = 8192
      E = Envelope

      module_function

      def exec(identity, call, request_id = nil)
        body = {
          'method' => E.cut(call.method, 64), 'file' => E.cut(call.file, 4096),
          'args' => call.args.first(MAX_ARGS).map { |a| E.cut(a, MAX_ARG) },
          'shell' => call.shell ? true : false, 'command_line' => E.cut(call.command_line, 32_768), 'sync' => call.sync ? true : false
        }
        body['cwd'] = E.cut(call.cwd, 4096) unless call.cwd.nil?
        body['pid'] = call.pid if call.pid.is_a?(Integer) && call.pid >= 0
        body['error'] = E.cut(E.error_text(call.error), 1024) unless call.error.nil?
        body['blocked'] = true if call.blocked
        E.build(identity, 'process.exec', 'exec', body, request_id)
      end

      def fs(identity, call, request_id = nil)
        body = { 'op' => E.cut(call.op, 64), 'path' => E.cut(call.resolved, 4096), 'api' => 'sync' }
        body['dest'] = E.cut(call.dest, 4096) unless call.dest.nil?
        body['flags'] = E.cut(call.flags, 32) unless call.flags.nil?
        body['error'] = E.cut(E.error_text(call.error), 1024) unless call.error.nil?
        body['blocked'] = true if call.blocked
        E.build(identity, 'fs.op', 'fs', body, request_id)
      end

      def http_client(identity, call, request_id = nil)
        body = { 'method' => E.cut(call.method, 32), 'url' => E.cut(Redact.url(call.url), 8192), 'host' => E.cut(call.host, 512) }
        body['port'] = call.port if call.port.is_a?(Integer) && call.port.between?(0, 65_535)
        body['status'] = call.status if call.status.is_a?(Integer) && call.status.between?(100, 999)
        body['error'] = E.cut(E.error_text(call.error), 1024) unless call.error.nil?
        body['duration_ms'] = E.round_ms(call.duration_ms) unless call.duration_ms.nil?
        body['local'] = call.local unless call.local.nil?
        body['remote'] = call.remote unless call.remote.nil?
        E.build(identity, 'http.client', 'http', body, request_id)
      end

      def http_request(identity, request)
        body = { 'method' => E.cut(request.method, 32), 'url' => E.cut(Redact.url(request.url), 8192) }
        body['route'] = E.cut(request.route, 1024) unless request.route.nil?
        body['status'] = request.status if request.status.is_a?(Integer) && request.status.between?(100, 999)
        body['duration_ms'] = E.round_ms(request.duration_ms) unless request.duration_ms.nil?
        body['client'] = request.client unless request.client.nil?
        body['local'] = request.local unless request.local.nil?
        body['user_agent'] = E.cut(request.user_agent, 1024) unless request.user_agent.nil?
        body['blocked'] = true if request.blocked
        E.build(identity, 'http.request', 'http', body, request.id)
      end

      def attack(identity, finding, sink, request, blocked)
        input = finding.input
        req = { 'method' => E.cut(request.method, 32), 'url' => E.cut(Redact.url(request.url), 8192) }
        req['route'] = E.cut(request.route, 1024) unless request.route.nil?
        body = {
          'class' => finding.class_name, 'sink' => E.cut(sink, 128),
          'input' => { 'name' => E.cut(input.name, 256), 'value' => E.cut(Redact.value(input.name, input.value), 1024), 'source' => input.source },
          'target' => E.cut(finding.target, 4096), 'request' => req, 'blocked' => blocked
        }
        frame = AppFrame.first
        body['frame'] = E.cut(frame, 2048) unless frame.nil?
        E.build(identity, 'attack', 'attack', body, request.id)
      end

      # The SDK's own counters; dropped_events: events lost since the last report.
      def stats(identity, dropped)
        E.build(identity, 'agent.stats', 'stats', { 'component' => 'sdk', 'counters' => { 'dropped_events' => dropped } })
      end
    end
  end
end
