# frozen_string_literal: true

require_relative 'lib/sidewatch/version'

Gem::Specification.new do |spec|
  spec.name = 'sidewatch'
  spec.version = Sidewatch::VERSION
  spec.summary = 'sidewatch runtime security monitoring for Ruby apps: hooks, Rack middleware and the wire-protocol client'
  spec.description = 'Reports child processes, sensitive file access, outbound HTTP and incoming requests to the sidewatch ' \
                     'agent, and detects (and in block mode stops) shell and command injection, path traversal and SSRF ' \
                     'where request input reaches those calls. Standard library only.'
  spec.authors = ['sidewatch']
  spec.license = 'Apache-2.0'
  spec.required_ruby_version = '>= 3.0'
  spec.files = Dir['lib/**/*.rb'] + ['lib/sidewatch/proto/event-schema.json', 'README.md', 'sidewatch.gemspec']
  spec.require_paths = ['lib']
  spec.metadata['rubygems_mfa_required'] = 'true'
end
