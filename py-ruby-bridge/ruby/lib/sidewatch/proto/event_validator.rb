# frozen_string_literal: true

require 'json'
require_relative 'schema_check'

module Sidewatch
  module Proto
    # Checks one event against the schema of its kind, from the copy of
    # packages/proto/event-schema.json shipped in the gem (a test keeps it identical).
    module EventValidator
      SCHEMA_PATH = File.expand_path('event-schema.json', __dir__)
      Issue = Struct.new(:code, :field, :message)

      module_function

      def schema
        @schema ||= JSON.parse(File.read(SCHEMA_PATH))
      end

      def kinds
        @kinds ||= schema['oneOf'].map { |ref| ref['$ref'].sub('#/$defs/', '') }
      end

      # nil when valid, else an Issue with code SW_ERR_INVALID_EVENT and the field.
      def validate(event)
        return Issue.new('SW_ERR_INVALID_EVENT', '', 'event must be a JSON object') unless event.is_a?(Hash)

        kind = event['kind']
        unless kind.is_a?(String) && kinds.include?(kind)
          got = kind.is_a?(String) ? JSON.generate(kind[0, 64]) : 'missing'
          return Issue.new('SW_ERR_INVALID_EVENT', '/kind', "kind #{got} is not one of #{kinds.join(', ')}")
        end
        field = SchemaCheck.first_error(schema['$defs'][kind], event)
        field.nil? ? nil : Issue.new('SW_ERR_INVALID_EVENT', field, "#{kind} event: #{field}: does not match the schema")
      end
    end
  end
end
