# frozen_string_literal: true

require_relative 'warn'

module Sidewatch
  # Runs a block once a constant is defined: now if it is, else when the body of the class or
  # module of that name ends (a TracePoint on :end, switched off when nothing is left to wait
  # for). Hooks on Net::HTTP, Open3 and Rack::Builder are installed this way, so the bridge does
  # not load libraries the application does not use.
  module WhenDefined
    @pending = {}
    @trace = nil
    @lock = Mutex.new

    class << self
      def call(name, &block)
        return block.call if defined_now?(name)

        @lock.synchronize do
          (@pending[name] ||= []) << block
          @trace ||= TracePoint.new(:end) { |tp| fire(tp.self) }
          @trace.enable unless @trace.enabled?
        end
      end

      private

      def defined_now?(name)
        !Object.const_source_location(name).nil? && Object.const_get(name)
      rescue NameError
        false
      end

      MODULE_NAME = Module.instance_method(:name)

      # Runs inside every class body's end: never calls the application's own `name`, never raises.
      def fire(mod)
        name = Module === mod ? MODULE_NAME.bind_call(mod) : nil
        return if name.nil? || !@pending.key?(name)

        blocks = @lock.synchronize do
          found = @pending.delete(name)
          @trace.disable if @pending.empty?
          found
        end
        blocks&.each { |b| Warn.guard("hooking #{name}") { b.call } }
      rescue StandardError => e
        Warn.internal('waiting for a library', e)
      end
    end
  end
end
