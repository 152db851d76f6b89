# frozen_string_literal: true

require_relative 'schema_check'
require_relative '../errors'

module Sidewatch
  module Proto
    # The shapes of the wire messages (packages/proto/src/schema/messages.ts), written as JSON
    # Schema and checked with the same checker as events; hello's version is negotiated first.
    module MessageCheck
      SUPPORTED_MAJORS = [1].freeze
      PROTOCOL_VERSION = '1.0'

      def self.str(max) = { 'type' => 'string', 'maxLength' => max }
      SEQ = { 'type' => 'integer', 'minimum' => 0, 'maximum' => 9_007_199_254_740_991 }.freeze
      NAME_VERSION = { 'type' => 'object', 'required' => %w[name version],
                       'properties' => { 'name' => { 'type' => 'string', 'minLength' => 1, 'maxLength' => 64 }, 'version' => str(64) } }.freeze

      def self.object(required, properties) = { 'type' => 'object', 'required' => required, 'properties' => properties }
      def self.literal(value) = { 'type' => 'string', 'const' => value }

      SCHEMAS = {
        'hello' => object(%w[type version runtime sdk service pid], {
                            'type' => literal('hello'), 'version' => str(16), 'token' => str(1024), 'runtime' => NAME_VERSION,
                            'sdk' => NAME_VERSION, 'service' => { 'type' => 'string', 'minLength' => 1, 'maxLength' => 256 },
                            'pid' => { 'type' => 'integer', 'minimum' => 0 }, 'host' => str(256), 'container' => str(256),
                            'dropped' => { 'type' => 'integer', 'minimum' => 0 }
                          }),
        'welcome' => object(%w[type version agent_version session_id config], {
                              'type' => literal('welcome'), 'version' => str(16), 'agent_version' => str(64), 'session_id' => str(128),
                              'config' => object(%w[mode], { 'mode' => { 'anyOf' => [literal('monitor'), literal('block')] } })
                            }),
        'error' => object(%w[type code message], {
                            'type' => literal('error'), 'code' => { 'type' => 'string', 'pattern' => '^SW_ERR_[A-Z0-9_]+$', 'maxLength' => 64 },
                            'message' => str(4096), 'field' => str(1024), 'seq' => SEQ
                          }),
        'events' => object(%w[type seq events], { 'type' => literal('events'), 'seq' => SEQ, 'events' => { 'type' => 'array' } }),
        'ack' => object(%w[type seq accepted rejected], {
                          'type' => literal('ack'), 'seq' => SEQ,
                          'accepted' => { 'type' => 'integer', 'minimum' => 0 }, 'rejected' => { 'type' => 'integer', 'minimum' => 0 }
                        }),
        'ping' => object(%w[type], { 'type' => literal('ping'), 'id' => SEQ }),
        'pong' => object(%w[type], { 'type' => literal('pong'), 'id' => SEQ })
      }.freeze

      module_function

      # Raises SW_ERR_UNSUPPORTED_VERSION or SW_ERR_INVALID_MESSAGE. Events inside an `events`
      # message are checked one by one with EventValidator.
      def check(message)
        check_version(message['version']) if message['type'] == 'hello' && message['version'].is_a?(String)
        field = SchemaCheck.first_error(SCHEMAS.fetch(message['type']), message)
        return if field.nil?

        raise ProtocolError.new('SW_ERR_INVALID_MESSAGE', "#{message['type']} message: #{field.empty? ? '/' : field}: does not match its shape", field)
      end

      def check_version(version)
        m = /\A(\d{1,4})\.(\d{1,4})\z/.match(version)
        return if m && SUPPORTED_MAJORS.include?(m[1].to_i)

        raise ProtocolError.new('SW_ERR_UNSUPPORTED_VERSION',
                                "protocol version #{JSON.generate(version)} is not supported; this side speaks #{SUPPORTED_MAJORS.map { |v| "#{v}.x" }.join(', ')}",
                                '/version')
      end
    end
  end
end
