# frozen_string_literal: true

require_relative 'process_hooks'
require_relative '../when_defined'

module Sidewatch
  module Hooks
    # IO.popen (which does not go through Kernel#spawn) and Open3 (which does: its hook only
    # names the outer method, so the event says Open3.capture2 rather than spawn).
    module PopenHooks
      OPEN3_SYNC = { popen3: false, popen2: false, popen2e: false, capture3: true, capture2: true, capture2e: true,
                     pipeline_r: false, pipeline_w: false, pipeline_rw: false, pipeline: true }.freeze

      # Prepended to IO.singleton_class.
      module IoMethods
        def popen(*args, **options, &block)
          command = args.first
          # `IO.popen("-")` forks Ruby itself: no command runs.
          return super if command == '-' || command.nil?

          # A String is one command (shell rules); an Array is [env, cmd, args..., opts].
          ProcessHooks.run('IO.popen', command.is_a?(Array) ? command : [command], options, sync: false) do |call|
            # With a block the pipe is closed before popen returns: the pid comes from $?.
            result = block ? super(*args, **options) { |io| call&.pid = io.pid; block.call(io) } : super
            call.pid ||= result.pid if call && result.respond_to?(:pid)
            result
          end
        end
      end

      # Prepended to Open3.singleton_class.
      module Open3Methods
        OPEN3_SYNC.each do |name, sync|
          define_method(name) do |*args, **options, &block|
            outer = Thread.current[ProcessHooks::OUTER]
            Thread.current[ProcessHooks::OUTER] = ["Open3.#{name}", sync] if outer.nil?
            begin
              super(*args, **options, &block)
            ensure
              Thread.current[ProcessHooks::OUTER] = outer
            end
          end
        end
      end

      module_function

      def install
        IO.singleton_class.prepend(IoMethods)
        WhenDefined.call('Open3') { ::Open3.singleton_class.prepend(Open3Methods) }
      end
    end
  end
end
