# frozen_string_literal: true

require_relative 'finding'
require_relative 'decoded_values'
require_relative '../posix_path'

module Sidewatch
  module Detectors
    # Path traversal: a request input steered a file-system call outside the directory the app
    # meant. The path handed to File often no longer contains the input (File.join + expand_path
    # normalise `../` away), so an input also counts as having reached the path when its
    # normalised tail is the tail of the resolved path. Only inputs that can move a path are
    # considered: with a `..` segment, absolute, `file:`, `~/`, or a NUL byte.
    module PathTraversal
      module_function

      # A raw input value that can move a path, or decode to one, has one of these: `%`, `..`, a
      # NUL, or a `/`, `~/` or `file:` start. The usual input has none and is skipped at once.
      MAY_MOVE = %r{%|\.\.|\0|\A(?:/|~/|file:)}.freeze

      def detect(path, resolved, inputs, op = nil)
        inputs.each do |input|
          raw = input.value
          next if !MAY_MOVE.match?(raw) || elsewhere?(path, resolved, raw)

          # Without `%` the value is its only form (DecodedValues.of would be [raw]).
          if raw.include?('%')
            DecodedValues.of(input).each do |value|
              reason = moved_by(path, resolved, value)
              return finding(input, resolved, op, reason) unless reason.nil?
            end
          else
            reason = moved_by(path, resolved, raw)
            return finding(input, resolved, op, reason) unless reason.nil?
          end
        end
        nil
      end

      # An absolute value with no `%`, `..` or NUL (a request's path, mostly) is found only in a
      # path that holds it, or when it normalises to the resolved path, which it never can when it
      # is shorter than that path: most such values are ruled out here without being looked into.
      def elsewhere?(path, resolved, raw)
        resolved.length > raw.length && raw.start_with?('/') && !raw.include?('%') && !raw.include?('..') &&
          !raw.include?("\0") && !path.include?(raw)
      end

      # Why `value` moved the path, or nil.
      def moved_by(path, resolved, value)
        return nil unless can_move_path?(value)

        nul = value.index("\0")
        return 'input holds a NUL byte that would cut the path short' if !nul.nil? && path.include?(value[0..nul])

        traversal(path, resolved, value)
      end

      def finding(input, resolved, op, reason)
        Finding.new('path_traversal', input, resolved, op.nil? ? reason : "#{op}: #{reason}")
      end

      def can_move_path?(value)
        value.start_with?('/', '~/', 'file:') || value.include?("\0") || dot_dot_segment?(value)
      end

      def dot_dot_segment?(value)
        at = value.index('..')
        until at.nil?
          before = at.zero? ? '/' : value[at - 1]
          after = at + 2 == value.length ? '/' : value[at + 2]
          return true if before == '/' && after == '/'

          at = value.index('..', at + 1)
        end
        false
      end

      def traversal(path, resolved, value)
        at = path.index(value)
        return leaves_prefix(path, at, value) unless at.nil?

        normalised_away(resolved, value)
      end

      def leaves_prefix(path, at, value)
        if at.zero?
          normal = PosixPath.normalize(value)
          if normal.start_with?('/')
            return normal == PosixPath.normalize(path) ? 'input is an absolute path used as the whole path' : nil
          end

          return normal == '..' || normal.start_with?('../') ? 'input climbs above the working directory' : nil
        end
        dir = PosixPath.dirname(PosixPath.normalize("#{path[0...at]}x"))
        target = PosixPath.normalize(path)
        inside = if dir == '.'
                   target != '..' && !target.start_with?('../')
                 else
                   dir == '/' || target == dir || target.start_with?("#{dir}/")
                 end
        inside ? nil : "input leads out of #{dir}"
      end

      def normalised_away(resolved, value)
        if value.start_with?('~/')
          return !resolved.include?('~') && resolved.end_with?(PosixPath.normalize(value[1..])) ? 'input names a file in the home directory' : nil
        end

        normal = PosixPath.normalize(value.start_with?('file://') ? file_url_path(value) : value)
        return resolved == normal ? 'input is an absolute path that became the whole path' : nil if normal.start_with?('/')

        tail = normal
        tail = tail[3..] while tail.start_with?('../')
        tail = tail.chomp('/') if tail.end_with?('/')
        return nil if tail == normal || tail == '..' || tail == '' || tail == '.'

        ups = count_ups(normal)
        resolved.end_with?("/#{tail}") ? "input climbs #{ups} #{ups == 1 ? 'directory' : 'directories'} out of the app's directory" : nil
      end

      def count_ups(normal)
        n = 0
        n += 1 while normal[n * 3, 3] == '../'
        n
      end

      def file_url_path(url)
        slash = url.index('/', 7)
        slash.nil? ? '/' : url[slash..]
      end
    end
  end
end
