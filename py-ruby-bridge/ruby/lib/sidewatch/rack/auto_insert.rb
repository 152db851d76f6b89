# frozen_string_literal: true

require_relative 'middleware'
require_relative '../when_defined'

module Sidewatch
  module Rack
    # With Sidewatch.start (and so `ruby -rsidewatch/auto`), every Rack app built by
    # Rack::Builder (config.ru, Sinatra's own builder, Rails' middleware stack builder) gets the
    # middleware at its outside, without a `use` line. Rack may load after sidewatch:
    # WhenDefined waits for Rack::Builder.
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

      module_function

      def install
        return if @installed

        @installed = true
        WhenDefined.call('Rack::Builder') { ::Rack::Builder.prepend(ToApp) }
      end
    end
  end
end
