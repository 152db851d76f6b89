# frozen_string_literal: true

module Sidewatch
  module Detectors
    # Which executables are shells or script interpreters, by basename.
    module ShellBinary
      SHELLS = %w[sh bash dash zsh ash ksh mksh csh tcsh fish busybox].freeze
      INTERPRETERS = %w[node nodejs python python2 python3 perl ruby php lua deno bun osascript awk gawk].freeze
      CODE_FLAGS = %w[-c -e --eval -r -p --print].freeze

      module_function

      def basename(file)
        slash = file.rindex('/')
        slash.nil? ? file : file[(slash + 1)..]
      end

      def shell?(file)
        SHELLS.include?(basename(file))
      end

      # A shell, or a script interpreter with a version suffix (`python3.11`, `perl5.36`).
      def interpreter?(file)
        name = basename(file)
        return true if SHELLS.include?(name) || INTERPRETERS.include?(name)

        stem = name.sub(/[0-9.]+\z/, '')
        stem.length < name.length && INTERPRETERS.include?(stem)
      end
    end
  end
end
