# frozen_string_literal: true

module Sidewatch
  module Detectors
    # A small POSIX shell lexer (port of node-asm's shell-lexer.ts): for each character of a
    # command line, whether `sh -c` reads it as data or as syntax, and the words with whether each
    # stands where the shell expects a command name. Not modelled (their characters count as
    # data): here-documents, `case` patterns, arithmetic beyond its `$(`, `$'...'`, globs, brace
    # and tilde expansion.
    module ShellLexer
      DATA = 0
      OPERATOR = 1
      EXPANSION = 2
      QUOTE = 3
      ESCAPE = 4
      SEPARATOR = 5
      COMMENT = 6

      Word = Struct.new(:start, :stop, :command)
      Syntax = Struct.new(:kinds, :partners, :words)

      COMMAND_SEPARATORS = ";&|()\n"
      OPERATORS = ";&|()<>\n"
      DQ_ESCAPABLE = "$`\"\\\n"

      module_function

      def lex(line)
        syntax = Syntax.new(Array.new(line.length, DATA), {}, [])
        word_start = -1
        command_next = true
        i = 0
        n = line.length
        while i < n
          c = line[i]
          if c == ' ' || c == "\t" || OPERATORS.include?(c)
            if word_start != -1
              syntax.words << Word.new(word_start, i, command_next)
              command_next = false
              word_start = -1
            end
            syntax.kinds[i] = c == ' ' || c == "\t" ? SEPARATOR : OPERATOR
            command_next = true if COMMAND_SEPARATORS.include?(c)
            i += 1
            next
          end
          if c == '#' && word_start == -1
            i = skip_comment(syntax, line, i)
            next
          end
          word_start = i if word_start == -1
          i = lex_word_char(syntax, line, i)
        end
        syntax.words << Word.new(word_start, n, command_next) if word_start != -1
        syntax
      end

      def skip_comment(syntax, line, i)
        syntax.kinds[i] = COMMENT
        stop = line.index("\n", i)
        stop.nil? ? line.length : stop
      end

      def lex_word_char(syntax, line, i)
        c = line[i]
        if c == '\\'
          syntax.kinds[i] = ESCAPE
          return i + 2
        end
        return lex_single_quoted(syntax, line, i) if c == "'"
        return lex_double_quoted(syntax, line, i) if c == '"'

        syntax.kinds[i] = EXPANSION if expansion?(line, i)
        i + 1
      end

      def lex_single_quoted(syntax, line, open)
        close = line.index("'", open + 1)
        syntax.kinds[open] = QUOTE
        syntax.partners[open] = close || -1
        return line.length if close.nil?

        syntax.kinds[close] = QUOTE
        syntax.partners[close] = open
        close + 1
      end

      def lex_double_quoted(syntax, line, open)
        syntax.kinds[open] = QUOTE
        i = open + 1
        while i < line.length
          c = line[i]
          if c == '"'
            syntax.kinds[i] = QUOTE
            syntax.partners[open] = i
            syntax.partners[i] = open
            return i + 1
          end
          if c == '\\' && DQ_ESCAPABLE.include?(line[i + 1] || ' ')
            syntax.kinds[i] = ESCAPE
            i += 2
            next
          end
          syntax.kinds[i] = EXPANSION if expansion?(line, i)
          i += 1
        end
        syntax.partners[open] = -1
        line.length
      end

      # A backtick, or a `$` the shell expands: `$(`, `${`, `$NAME`. `$5` or a lone `$` stay data.
      def expansion?(line, i)
        c = line[i]
        return true if c == '`'
        return false unless c == '$'

        nxt = line[i + 1]
        !nxt.nil? && (nxt == '(' || nxt == '{' || nxt == '_' || nxt.match?(/\A[A-Za-z]\z/))
      end
    end
  end
end
