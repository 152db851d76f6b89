# frozen_string_literal: true

require_relative '../calls'
require_relative '../posix_path'

module Sidewatch
  module Hooks
    # Describes one file-system call: the path as a string (String, Pathname or anything with
    # #to_path; not an fd), resolved against the working directory the way the kernel will, and
    # the open flags. op names are node-asm's, so the agent's file rules fire for Ruby apps too.
    module FsCall
      FLAG_NAMES = { File::CREAT => 'O_CREAT', File::EXCL => 'O_EXCL', File::TRUNC => 'O_TRUNC', File::APPEND => 'O_APPEND' }.freeze

      module_function

      def describe(op, sink, path, dest: nil, flags: nil)
        text = path_string(path)
        text.nil? ? nil : build(op, sink, text, PosixPath.resolve(text), dest, flags)
      end

      def build(op, sink, text, resolved, dest, flags)
        Calls::Fs.new(op, sink, text, resolved, dest.nil? ? nil : path_string(dest), flags.nil? || flags.is_a?(String) ? flags : flags_text(flags))
      end

      def path_string(path)
        path = path.to_path if !path.is_a?(String) && path.respond_to?(:to_path)
        return nil unless path.is_a?(String)

        path.encoding == Encoding::UTF_8 ? path : path.dup.force_encoding(Encoding::UTF_8).scrub
      end

      def flags_text(flags)
        return flags.to_s unless flags.is_a?(Integer)

        access = flags & 3
        names = [access == File::RDWR ? 'O_RDWR' : access == File::WRONLY ? 'O_WRONLY' : 'O_RDONLY'] # rubocop:disable Style/NestedTernaryOperator
        FLAG_NAMES.each { |bit, name| names << name if (flags & bit) == bit }
        names.join('|')
      end
    end
  end
end
