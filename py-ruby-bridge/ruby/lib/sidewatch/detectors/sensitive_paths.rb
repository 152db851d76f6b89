# frozen_string_literal: true

require_relative '../posix_path'

module Sidewatch
  module Detectors
    # Files whose reading is an event on its own, inside a request or not: password hashes,
    # process environments, SSH keys, AWS credentials and mounted secrets.
    module SensitivePaths
      EXACT = {
        '/etc/shadow' => 'password hashes',
        '/etc/gshadow' => 'password hashes',
        '/etc/shadow-' => 'password hashes',
        '/etc/sudoers' => 'sudo configuration',
        '/proc/self/environ' => 'process environment',
        '/proc/thread-self/environ' => 'process environment'
      }.freeze
      PREFIXES = [
        ['/var/run/secrets/', 'mounted secrets'],
        ['/run/secrets/', 'mounted secrets'],
        ['/etc/ssh/ssh_host_', 'SSH host keys']
      ].freeze
      NUMERIC = /\A\d+\z/.freeze
      # Every sensitive path matches this; most paths are ruled out by it in one regexp match.
      CANDIDATE = %r{\A/(?:etc/|proc/|var/run/secrets/|run/secrets/)|/\.ssh/|/\.aws/|//|/\.}.freeze

      module_function

      # A label for a sensitive resolved path, or nil.
      def label(resolved)
        return nil unless CANDIDATE.match?(resolved)

        path = resolved.include?('//') || resolved.include?('/.') ? PosixPath.normalize(resolved) : resolved
        exact = EXACT[path]
        return exact unless exact.nil?

        PREFIXES.each { |prefix, name| return name if path.start_with?(prefix) }
        return 'SSH keys' if path.include?('/.ssh/')
        return 'AWS credentials' if path.end_with?('/.aws/credentials', '/.aws/config')
        return 'process environment' if path.start_with?('/proc/') && path.end_with?('/environ') && process_environ?(path)

        nil
      end

      def process_environ?(path)
        parts = path.split('/', -1)
        return NUMERIC.match?(parts[2]) if parts.length == 4

        parts.length == 6 && (NUMERIC.match?(parts[2]) || parts[2] == 'self') && parts[3] == 'task' && NUMERIC.match?(parts[4])
      end
    end
  end
end
