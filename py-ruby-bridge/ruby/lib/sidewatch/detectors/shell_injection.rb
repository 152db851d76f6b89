# frozen_string_literal: true

require_relative 'finding'
require_relative 'decoded_values'
require_relative 'shell_lexer'

module Sidewatch
  module Detectors
    # Shell injection: a request input reached a command line that a shell will parse, and the
    # part of the line that came from the input is shell syntax rather than data: it adds an
    # operator, an expansion, a comment, breaks out of the app's quotes, splits into more words,
    # or is the command itself. A properly quoted input is data everywhere and does not fire.
    module ShellInjection
      module_function

      def detect(command_line, inputs)
        syntax = nil
        inputs.each do |input|
          DecodedValues.of(input).each do |value|
            next if value.empty? || !command_line.include?(value)

            syntax ||= ShellLexer.lex(command_line)
            reason = injected_syntax(syntax, command_line, value)
            return Finding.new('shell_injection', input, command_line, reason) unless reason.nil?
          end
        end
        nil
      end

      # Every occurrence counts: we cannot tell which one came from the request.
      def injected_syntax(syntax, line, value)
        at = line.index(value)
        until at.nil?
          stop = at + value.length
          reason = syntax_in_span(syntax, line, at, stop) || word_change(syntax, at, stop)
          return reason unless reason.nil?

          at = line.index(value, at + 1)
        end
        nil
      end

      def syntax_in_span(syntax, line, start, stop)
        (start...stop).each do |i|
          case syntax.kinds[i]
          when ShellLexer::OPERATOR then return "input adds the shell operator #{JSON.generate(line[i])}"
          when ShellLexer::EXPANSION then return 'input adds a shell expansion or command substitution'
          when ShellLexer::COMMENT then return 'input starts a shell comment'
          when ShellLexer::QUOTE
            partner = syntax.partners.fetch(i, -1)
            return 'input opens or closes a quote of the command line' if partner < start || partner >= stop
          when ShellLexer::ESCAPE
            return 'input ends with a backslash that escapes the command line after it' if i + 1 >= stop
          end
        end
        nil
      end

      def word_change(syntax, start, stop)
        overlapping = 0
        syntax.words.each do |word|
          break if word.start >= stop
          next if word.stop <= start

          overlapping += 1
          return 'input splits into several shell words' if overlapping > 1
          return 'input is the command the shell runs' if word.command && start <= word.start && stop >= word.stop
        end
        nil
      end
    end
  end
end
