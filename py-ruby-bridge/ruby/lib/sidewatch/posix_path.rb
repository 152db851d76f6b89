# frozen_string_literal: true

module Sidewatch
  # POSIX path arithmetic on strings, the way Node's `path.posix` does it (normalize, join,
  # resolve, dirname). Ruby's File.expand_path is not used: it expands `~`, which File.open does
  # not, so it would judge a different file than the one opened.
  module PosixPath
    # Paths with none of these are already normal (the common case: no work, no allocation).
    NEEDS_WORK = %r{//|/\.\.?(?:/|\z)|\A\.\.?(?:/|\z)}.freeze

    module_function

    def normalize(path)
      return '.' if path.empty?
      return path unless NEEDS_WORK.match?(path)

      absolute = path.start_with?('/')
      trailing = path.end_with?('/')
      out = []
      path.split('/').each do |seg|
        next if seg.empty? || seg == '.'

        if seg == '..'
          if !out.empty? && out.last != '..'
            out.pop
          elsif !absolute
            out << '..'
          end
        else
          out << seg
        end
      end
      text = out.join('/')
      text = '.' if text.empty? && !absolute
      text += '/' if trailing && !text.empty? && text != '/'
      absolute ? "/#{text}" : text
    end

    def join(*parts)
      joined = parts.reject(&:empty?).join('/')
      joined.empty? ? '.' : normalize(joined)
    end

    def resolve(*parts)
      if parts.length == 1 && parts[0].start_with?('/')
        normal = normalize(parts[0])
        return normal.length > 1 && normal.end_with?('/') ? normal.chomp('/') : normal
      end

      resolved = +''
      parts.reverse_each do |part|
        next if part.empty?

        resolved = resolved.empty? ? part.dup : "#{part}/#{resolved}"
        break if part.start_with?('/')
      end
      resolved = "#{Dir.pwd}/#{resolved}" unless resolved.start_with?('/')
      normal = normalize(resolved)
      normal.length > 1 && normal.end_with?('/') ? normal.chomp('/') : normal
    end

    def dirname(path)
      return '.' if path.empty?

      stripped = path.sub(%r{(?<=.)/+\z}, '')
      slash = stripped.rindex('/')
      return '.' if slash.nil?
      return '/' if slash.zero?

      stripped[0...slash].sub(%r{(?<=.)/+\z}, '')
    end
  end
end
