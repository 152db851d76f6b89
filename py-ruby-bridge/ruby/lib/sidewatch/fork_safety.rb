# frozen_string_literal: true

module Sidewatch
  # A forked child must not share the parent's socket, queue or thread. On Ruby 3.1+ the
  # Process._fork hook resets them in the child right after every fork (fork, Process.fork,
  # Kernel#fork, IO.popen("-"), daemon); on Ruby 3.0 the reporter notices the new pid on the
  # next event instead.
  module ForkSafety
    # Prepended to Process.singleton_class (Ruby 3.1+).
    module ForkHook
      def _fork
        pid = super
        Sidewatch.after_fork if pid.zero?
        pid
      end
    end

    @installed = false
    # No Process._fork (Ruby 3.0): the pid is compared on every event instead.
    LAZY = !Process.respond_to?(:_fork)

    module_function

    def install
      return if @installed

      @installed = true
      Process.singleton_class.prepend(ForkHook) if Process.respond_to?(:_fork)
    end

    # Ruby 3.0: called on the event path; a changed pid means we are a child that was not told.
    def check_pid(instance)
      return if instance.identity.pid == Process.pid

      Sidewatch.after_fork
    end
  end
end
