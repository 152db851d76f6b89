# frozen_string_literal: true

module Sidewatch
  # The first stack frame outside the bridge, the standard library and the installed gems: the
  # application line that made the call (`app.rb:42:in 'block in <class:App>'`).
  module AppFrame
    SKIP = [File.expand_path('..', __dir__), *RbConfig::CONFIG.values_at('rubylibdir', 'vendordir', 'sitedir'), *Gem.path]
           .compact.reject(&:empty?).uniq.freeze

    module_function

    def first
      caller_locations(2, 64)&.each do |loc|
        path = loc.absolute_path || loc.path
        next if path.nil? || path.start_with?('<internal:') || SKIP.any? { |dir| path.start_with?(dir) }

        return "#{path}:#{loc.lineno}:in '#{loc.label}'"
      end
      nil
    end
  end
end
