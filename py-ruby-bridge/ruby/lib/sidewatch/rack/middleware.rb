# frozen_string_literal: true

require 'json'
require_relative '../request_context'
require_relative '../reporter/events'
require_relative '../errors'
require_relative '../warn'
require_relative 'sinatra_params'

module Sidewatch
  module Rack
    # Rack middleware: holds the request (and, read lazily, its inputs) in fiber-local storage for
    # the sink calls it makes, and reports it at its end the way node-asm does: one http.request
    # event when it is remarkable (an attack or a block, 401/403/5xx, or a process, sensitive file
    # or reported outbound call under it), otherwise a count in the http.summary window.
    #
    # Block mode: a hook raises Sidewatch::Blocked in place of the call; whatever the
    # application makes of it (an uncaught exception, its own rescue answering 500), the response
    # is replaced by 403 as long as the headers have not gone out yet, which in Rack they have not
    # while the app is still running.
    class Middleware
      CONTEXT = 'sidewatch.request'

      def initialize(app)
        @app = app
        SinatraParams.install
      end

      def call(env)
        sw = Sidewatch.instance
        return @app.call(env) if sw.nil? || env.key?(CONTEXT)

        ctx = RequestContext.new(env)
        env[CONTEXT] = ctx
        # RequestContext.with, without a block call on every request.
        thread = Thread.current
        previous = thread[RequestContext::KEY]
        thread[RequestContext::KEY] = ctx
        begin
          response = run(ctx, env)
        ensure
          thread[RequestContext::KEY] = previous
        end
        finish(sw, ctx, response)
      end

      private

      def run(ctx, env)
        response = @app.call(env)
        return response unless ctx.blocked

        close(response[2])
        forbidden(ctx, env)
      rescue Blocked
        ctx.blocked = true
        forbidden(ctx, env)
      rescue Exception # rubocop:disable Lint/RescueException -- recorded, then raised on unchanged
        ctx.status = 500
        report_end(Sidewatch.instance, ctx)
        raise
      end

      def finish(sw, ctx, response)
        ctx.status = response[0].to_i
        report_end(sw, ctx)
        response
      end

      def report_end(sw, ctx)
        return if sw.nil? || ctx.duration_ms

        ctx.duration_ms = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - ctx.started_at) * 1000
        if sw.http_all? || remarkable?(ctx)
          sw.report(Reporter::Events.http_request(sw.identity, ctx))
        else
          sw.summary.add_request(ctx.method, ctx.route, ctx.status, ctx.duration_ms)
        end
      rescue StandardError => e
        Warn.internal('reporting a request', e)
      end

      def remarkable?(ctx)
        status = ctx.status.to_i
        ctx.notable || ctx.blocked || status == 401 || status == 403 || status >= 500
      end

      def forbidden(ctx, env)
        html = env['HTTP_ACCEPT'].to_s.include?('text/html')
        body = if html
                 "<!doctype html><title>403 Forbidden</title><h1>Forbidden</h1><p>Blocked by sidewatch (request #{ctx.id}).</p>\n"
               else
                 JSON.generate({ 'error' => 'blocked by sidewatch', 'request_id' => ctx.id })
               end
        [403, { 'content-type' => html ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
                'content-length' => body.bytesize.to_s, 'cache-control' => 'no-store' }, [body]]
      end

      def close(body)
        body.close if body.respond_to?(:close)
      rescue StandardError
        nil
      end
    end
  end
end
