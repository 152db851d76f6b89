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

      # The common case costs a path resolution and a label lookup: outside a request, a file
      # that is not sensitive is neither judged nor reported, and nothing is allocated for it.
      def run(op, sink, path, dest = nil, flags = nil)
        return yield if Sinks.instance.nil?

        call = begin
          text = FsCall.path_string(path)
          resolved = text && PosixPath.resolve(text)
          if resolved.nil? || (RequestContext.current.nil? && Detectors::SensitivePaths.label(resolved).nil?)
            nil
          else
            FsCall.build(op, sink, text, resolved, dest, flags)
          end
        rescue StandardError => e
          Warn.internal('describing a file call', e)
          nil
        end
        return yield if call.nil?

        Sinks.fs(call) { yield }
      end

      # Prepended to File: every File object is made here.
      module FileInstance
        def initialize(path, *rest, **options, &block)
          return super if path.is_a?(Integer)

          flags = rest.first.nil? ? options[:mode] || options[:flags] || 'r' : rest.first
          FileHooks.run('open', 'File.open', path, nil, flags) { super }
        end
      end

      # Prepended to IO.singleton_class (File.read is IO.read). A name starting with `|` runs a
      # command, not a file: left to the process hooks' view (it is not reported as fs).
      module IoClassMethods
        { read: ['readFile', 'r'], binread: ['readFile', 'r'], readlines: ['readFile', 'r'], foreach: ['readFile', 'r'],
          write: ['writeFile', 'w'], binwrite: ['writeFile', 'w'] }.each do |name, (op, flags)|
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

      def install
        File.prepend(FileInstance)
        IO.singleton_class.prepend(IoClassMethods)
        File.singleton_class.prepend(FileClassMethods)
        Dir.singleton_class.prepend(DirClassMethods)
      end
    end
  end
end
