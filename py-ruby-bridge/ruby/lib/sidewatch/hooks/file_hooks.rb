# frozen_string_literal: true

require_relative 'fs_call'
require_relative '../sinks'
require_relative '../posix_path'
require_relative '../request_context'
require_relative '../detectors/sensitive_paths'

module Sidewatch
  module Hooks
    # File.open / File.new / Kernel#open (all through File#initialize), IO.read / File.read and
    # their kin, IO.write / File.write, File.unlink, File.rename, File.symlink / link,
    # File.truncate, Dir.children / entries / each_child, Dir.mkdir, Dir.rmdir.
    # Not reported (as in node-asm): stat, exist?, and reads on an already open File.
    module FileHooks
      module_function

      # The common case costs one regexp match: an absolute path with no `//` or `/.` outside
      # /etc, /proc and the secrets mounts is its own resolved form and not sensitive. Outside a
      # request such a file is neither judged nor reported, and nothing is allocated for it.
      def run(op, sink, path, dest = nil, flags = nil)
        return yield if Sinks.instance.nil?

        text = resolved = label = nil
        begin
          text = FsCall.path_string(path)
          unless text.nil?
            plain = text.start_with?('/') && !text.end_with?('/') && !Detectors::SensitivePaths::CANDIDATE.match?(text)
            resolved = plain ? text : PosixPath.resolve(text)
            label = plain ? nil : Detectors::SensitivePaths.label(resolved)
          end
        rescue StandardError => e
          Warn.internal('describing a file call', e)
          text = nil
        end
        return yield if text.nil? || (label.nil? && RequestContext.current.nil?)

        Sinks.fs(FsCall.build(op, sink, text, resolved, dest, flags), label) { yield }
      end

      # An argument the caller left out: passed on left out, not as nil (File.readlines(path, nil)
      # is not File.readlines(path)). Explicit parameters instead of `*args` keep the hottest hooks
      # (File.read, File.open) to one allocation, the keyword hash.
      NONE = Object.new.freeze

      # Prepended to File: every File object is made here.
      module FileInstance
        def initialize(path, mode = NONE, perm = NONE, **options, &block)
          return super(path, *FileHooks.given(mode, perm), **options, &block) if path.is_a?(Integer)

          flags = mode.equal?(NONE) ? options[:mode] || options[:flags] || 'r' : mode
          FileHooks.run('open', 'File.open', path, nil, flags) do
            next super(path, **options, &block) if mode.equal?(NONE)

            perm.equal?(NONE) ? super(path, mode, **options, &block) : super(path, mode, perm, **options, &block)
          end
        end
      end

      # Prepended to IO.singleton_class (File.read is IO.read). A name starting with `|` runs a
      # command, not a file: left to the process hooks' view (it is not reported as fs).
      module IoClassMethods
        { read: 'File.read', binread: 'File.binread' }.each do |name, file_sink|
          io_sink = "IO.#{name}".freeze
          define_method(name) do |path, length = NONE, offset = NONE, **options, &block|
            return super(path, *FileHooks.given(length, offset), **options, &block) if path.is_a?(String) && path.start_with?('|')

            FileHooks.run('readFile', equal?(IO) ? io_sink : file_sink, path, nil, options[:mode] || 'r') do
              next super(path, **options, &block) if length.equal?(NONE)

              offset.equal?(NONE) ? super(path, length, **options, &block) : super(path, length, offset, **options, &block)
            end
          end
        end

        { readlines: ['readFile', 'r'], foreach: ['readFile', 'r'], write: ['writeFile', 'w'], binwrite: ['writeFile', 'w'] }.each do |name, (op, flags)|
          file_sink = "File.#{name}".freeze
          io_sink = "IO.#{name}".freeze
          define_method(name) do |path, *args, **options, &block|
            return super(path, *args, **options, &block) if path.is_a?(String) && path.start_with?('|')

            FileHooks.run(op, equal?(IO) ? io_sink : file_sink, path, nil, options[:mode] || flags) do
              super(path, *args, **options, &block)
            end
          end
        end
      end

      # Prepended to File.singleton_class.
      module FileClassMethods
        %i[unlink delete].each do |name|
          define_method(name) do |*paths|
            return super(*paths) unless paths.length == 1

            FileHooks.run('unlink', "File.#{name}", paths.first) { super(*paths) }
          end
        end

        { rename: 'rename', symlink: 'symlink', link: 'link' }.each do |name, op|
          define_method(name) do |from, to|
            FileHooks.run(op, "File.#{name}", from, to) { super(from, to) }
          end
        end

        def truncate(path, length)
          FileHooks.run('truncate', 'File.truncate', path) { super }
        end
      end

      # Prepended to Dir.singleton_class.
      module DirClassMethods
        { children: 'readdir', entries: 'readdir', each_child: 'readdir', mkdir: 'mkdir', rmdir: 'rmdir' }.each do |name, op|
          define_method(name) do |path, *args, **options, &block|
            FileHooks.run(op, "Dir.#{name}", path) { super(path, *args, **options, &block) }
          end
        end
      end

      # The optional arguments the caller gave, for a rare path that may allocate.
      def given(*args)
        args.reject { |a| a.equal?(NONE) }
      end

      def install
        File.prepend(FileInstance)
        IO.singleton_class.prepend(IoClassMethods)
        File.singleton_class.prepend(FileClassMethods)
        Dir.singleton_class.prepend(DirClassMethods)
      end
    end
  end
end
