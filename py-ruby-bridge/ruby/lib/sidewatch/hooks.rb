# frozen_string_literal: true

require_relative 'warn'
require_relative 'hooks/process_hooks'
require_relative 'hooks/popen_hooks'
require_relative 'hooks/file_hooks'
require_relative 'hooks/net_http_hooks'

module Sidewatch
  # Installs every hook once (Module#prepend cannot be undone: after Sidewatch.stop the hooks
  # stay and pass calls straight through, at the cost of one check).
  module Hooks
    ALL = [ProcessHooks, PopenHooks, FileHooks, NetHttpHooks].freeze
    @installed = false

    module_function

    def install
      return if @installed

      @installed = true
      ALL.each { |hook| Warn.guard("installing #{hook.name}") { hook.install } }
    end
  end
end
