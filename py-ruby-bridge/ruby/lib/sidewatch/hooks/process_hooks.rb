# frozen_string_literal: true

require_relative 'command_line'
require_relative '../sinks'

module Sidewatch
  module Hooks
    # Kernel#system, Kernel#spawn, Kernel#` and Kernel#exec (and Process.spawn): each call is
    # described the way Ruby will run it, judged and reported (process.exec) through Sinks.
    # Open3 runs Kernel#spawn underneath: its hook names the outer method (Open3.capture2...).
    module ProcessHooks
      OUTER = :sidewatch_exec_outer
      # The sink an attack event names: the Ruby method as the app called it.
      SINKS = { 'system' => 'Kernel#system', 'spawn' => 'Kernel#spawn', 'backtick' => 'Kernel#`', 'exec' => 'Kernel#exec' }.freeze

      module_function

      # The method name and sync flag to report: the outer Open3 method when inside one.
      def naming(method, sync)
        outer = Thread.current[OUTER]
        outer.nil? ? [method, sync] : outer
      end

      def run(method, args, options, sync:)
        return yield(nil) if Sinks.instance.nil?

        name, sync = naming(method, sync)
        call = Warn.guard('describing a command') { CommandLine.describe(name, args, options, sync: sync) }
        return yield(nil) if call.nil?

        Sinks.exec(call) { yield call }
      end

      # Prepended to Kernel (instance and singleton methods).
      module KernelMethods
        def system(*args, **options)
          ProcessHooks.run('system', args, options, sync: true) do |call|
            result = super
            call.pid = $?&.pid if call # rubocop:disable Style/SpecialGlobalVars -- the child's status, set by system
            result
          end
        end

        def spawn(*args, **options)
          ProcessHooks.run('spawn', args, options, sync: false) do |call|
            pid = super
            call.pid = pid if call
            pid
          end
        end

        def `(command)
          ProcessHooks.run('backtick', [command], {}, sync: true) do |call|
            out = super
            call.pid = $?&.pid if call # rubocop:disable Style/SpecialGlobalVars -- set by the backtick
            out
          end
        end

        # The process image is replaced: the event is sent (bounded wait) before it is.
        def exec(*args, **options)
          ProcessHooks.run('exec', args, options, sync: true) do |call|
            ProcessHooks.before_exec(call)
            super
          end
        end
      end

      # Prepended to Process.singleton_class.
      module ProcessMethods
        def spawn(*args, **options)
          ProcessHooks.run('Process.spawn', args, options, sync: false) do |call|
            pid = super
            call.pid = pid if call
            pid
          end
        end

        def exec(*args, **options)
          ProcessHooks.run('Process.exec', args, options, sync: true) do |call|
            ProcessHooks.before_exec(call)
            super
          end
        end
      end

      # Kernel#exec does not return: report the call now and flush what is queued, bounded.
      def before_exec(call)
        return if call.nil?

        sw = Sinks.instance
        return if sw.nil?

        Sinks.report_in_request(sw) { |id| Reporter::Events.exec(sw.identity, call, id) }
        call.instance_variable_set(:@reported, true)
        sw.client.flush([sw.config.flush_timeout_ms, 500].min)
      end

      # Kernel's instance methods are private (`obj.system` is a NoMethodError): so are ours.
      KernelPrivate = KernelMethods.dup.tap { |m| m.send(:private, :system, :spawn, :`, :exec) }

      def install
        Kernel.prepend(KernelPrivate)
        Kernel.singleton_class.prepend(KernelMethods)
        Process.singleton_class.prepend(ProcessMethods)
      end
    end
  end
end
