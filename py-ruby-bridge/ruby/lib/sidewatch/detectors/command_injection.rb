# frozen_string_literal: true

require_relative 'finding'
require_relative 'decoded_values'
require_relative 'shell_injection'
require_relative 'shell_binary'

module Sidewatch
  module Detectors
    # Command injection without a shell (spawn/system with an argument list): an input cannot add
    # operators, but it can choose the program, smuggle an option, or hand an interpreter code to
    # run. A shell given `-c` gets its script checked as a shell command line.
    module CommandInjection
      NEGATIVE_NUMBER = /\A-\d+(?:\.\d+)?\z/.freeze
      BLANKS = /\s+/.freeze
      INERT_CODE = /\A[0-9A-Za-z \-._@]*\z/.freeze

      module_function

      def detect(file, args, inputs)
        script = shell_script(file, args)
        unless script.nil?
          finding = ShellInjection.detect(script, inputs)
          return Finding.new(finding.class_name, finding.input, "#{file} -c #{script}", finding.reason) unless finding.nil?
        end
        inputs.each do |input|
          DecodedValues.of(input).each do |value|
            next if value.empty?

            # Header values (User-Agent: curl, python-requests) name programs by coincidence:
            # they are judged for smuggled options and code only.
            reason = (input.source == 'headers' ? nil : program_choice(file, value)) || injected_argument(file, args, value)
            return Finding.new('command_injection', input, [file, *args].join(' '), reason) unless reason.nil?
          end
        end
        nil
      end

      def shell_script(file, args)
        return nil unless ShellBinary.shell?(file)

        i = args.index { |a| a == '-c' || (a.length > 2 && a[0] == '-' && a[1] != '-' && a.end_with?('c')) }
        i.nil? ? nil : args[i + 1]
      end

      def program_choice(file, value)
        return 'input is the program being run' if file == value
        return nil unless file.end_with?(value)

        before = file[file.length - value.length - 1]
        return 'input chooses the program being run' if before == '/' || value.include?('/')

        nil
      end

      def injected_argument(file, args, value)
        options_ended = false
        args.each_with_index do |arg, i|
          options_ended = true if arg == '--'
          if arg == value && !options_ended && value[0] == '-' && value != '-' && !NEGATIVE_NUMBER.match?(value)
            return 'input is a whole argument that the program reads as an option'
          end
          return 'input holds an interpreter and the code it runs' if arg.include?(value) && runs_interpreter_code?(value)
          if i.positive? && ShellBinary::CODE_FLAGS.include?(args[i - 1]) && !ShellBinary.shell?(file) &&
             ShellBinary.interpreter?(file) && arg.include?(value) && !INERT_CODE.match?(value)
            return 'input is part of the code an interpreter runs'
          end
        end
        nil
      end

      def runs_interpreter_code?(value)
        return false unless value.include?(' -')

        words = value.strip.split(BLANKS)
        words.length >= 3 && ShellBinary.interpreter?(words[0]) && ShellBinary::CODE_FLAGS.include?(words[1])
      end
    end
  end
end
