# frozen_string_literal: true

require_relative '../calls'

module Sidewatch
  module Hooks
    # How Ruby runs the arguments of system, spawn, exec, backticks, IO.popen and Open3: an
    # optional env hash first, options last; then `[cmd, argv0]`, several strings (no shell), or
    # one string, which goes through /bin/sh only when it has shell metacharacters, an `=` in
    # its first word, or starts with a shell reserved word (process.c, rb_exec_fillarg);
    # otherwise it is split on blanks and run directly.
    module CommandLine
      META = /[*?{}\[\]<>()~&|\\$;'`"\n#]/.freeze
      SH_WORDS = %w[! . : break case continue do done elif else esac eval exec exit export fi for if in readonly
                    return set shift then times trap unset until while].freeze

      module_function

      # A Calls::Exec for the call, or nil when the arguments are not a command Ruby would run.
      def describe(method, args, options, sync:)
        args = args.dup
        options = args.pop.merge(options) if args.last.is_a?(Hash) && args.length > 1
        args.shift if args.first.is_a?(Hash)
        first = args.first
        return nil if first.nil?

        file, argv, shell, line = parts(first, args)
        return nil if file.nil?

        cwd = options[:chdir] || options['chdir']
        Calls::Exec.new(method: method, file: file, args: argv, shell: shell, command_line: line, cwd: cwd&.to_s, sync: sync)
      end

      def parts(first, args)
        if first.is_a?(Array)
          file = first[0].to_s
          argv = args[1..].map(&:to_s)
          return [file, argv, false, [file, *argv].join(' ')]
        end
        return [first.to_s, args[1..].map(&:to_s), false, args.map(&:to_s).join(' ')] if args.length > 1

        command = first.to_s
        return ['/bin/sh', ['-c', command], true, command] if shell?(command)

        words = command.split(/[ \t]+/).reject(&:empty?)
        return [nil] if words.empty?

        [words[0], words[1..], false, words.join(' ')]
      end

      def shell?(command)
        return true if META.match?(command)

        word = command.lstrip.split(/[ \t]/, 2).first.to_s
        return false if word.include?('/')

        word.include?('=') || SH_WORDS.include?(word)
      end
    end
  end
end
