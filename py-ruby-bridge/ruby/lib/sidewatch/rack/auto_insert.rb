# frozen_string_literal: true

require_relative 'middleware'

module Sidewatch
  module Rack
    # With Sidewatch.start (and so `ruby -rsidewatch/auto`), every Rack app built by
    # Rack::Builder (config.ru, Sinatra's own builder, Rails' middleware stack builder) gets the
    # middleware at its outside, without a `use` line. Rack may load after sidewatch: a
    # TracePoint on class-body ends waits for Rack::Builder and is switched off once it is seen.
    # A `use Sidewatch::Rack::Middleware` of the app's own is not doubled: the inner one passes
    # the request straight through.
    module AutoInsert
      # Prepended to Rack::Builder.
      module ToApp
        def to_app
          app = super
          app.is_a?(Middleware) ? app : Middleware.new(app)
        end
      end

      @installed = false
      @trace = nil

      module_function

      def install
        return if @installed
        return patch if defined?(::Rack::Builder)

        @trace ||= TracePoint.new(:end) do |tp|
          patch if tp.self.is_a?(Module) && tp.self.name == 'Rack::Builder'
        end
        @trace.enable
      end

      def patch
        return if @installed

        @installed = true
        @trace&.disable
        ::Rack::Builder.prepend(ToApp)
      end
    end
  end
end
