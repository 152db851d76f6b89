# frozen_string_literal: true

require_relative '../request_context'
require_relative '../warn'

module Sidewatch
  module Rack
    # Sinatra's path params (`/files/:name`), which live on the app instance, not in the Rack
    # env: when a route's block is about to run, the params that came from the path are added to
    # the current request's inputs as `params.NAME`.
    module SinatraParams
      # Prepended to Sinatra::Base.
      module RouteEval
        private

        def route_eval
          ctx = RequestContext.current
          Warn.guard('reading Sinatra params') { SinatraParams.record(ctx, params, request) } unless ctx.nil?
          super
        end
      end

      @installed = false

      module_function

      def install
        return if @installed || !defined?(::Sinatra::Base)

        @installed = true
        ::Sinatra::Base.prepend(RouteEval)
      end

      def record(ctx, params, request)
        from_path = params.reject { |k, _| request.GET.key?(k) || (request.form_data? && request.POST.key?(k)) }
        ctx.params = from_path unless from_path.empty?
      end
    end
  end
end
