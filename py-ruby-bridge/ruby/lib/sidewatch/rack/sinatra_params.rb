# frozen_string_literal: true

require_relative '../request_context'
require_relative '../warn'

module Sidewatch
  module Rack
    # Sinatra's path params (`/files/:name`), which live on the app instance, not in the Rack
    # env: when a route's block is about to run, the app instance is noted on the request; the
    # params that came from the path are added to its inputs as `params.NAME` when a hooked call
    # first reads them (most requests never do).
    module SinatraParams
      # Prepended to Sinatra::Base.
      module RouteEval
        private

        def route_eval
          ctx = RequestContext.current
          ctx.params_source = self unless ctx.nil?
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

      # The params of a Sinatra app instance that came from the path, not the query or form (nil
      # when there are none: the usual route has only query params).
      def from_path(app)
        params = app.params
        return nil if params.empty?

        request = app.request
        query = request.GET
        path = nil
        params.each do |key, value|
          next if query.key?(key) || (request.form_data? && request.POST.key?(key))

          (path ||= {})[key] = value
        end
        path
      end
    end
  end
end
