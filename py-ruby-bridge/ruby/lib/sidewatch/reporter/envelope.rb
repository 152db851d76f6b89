# frozen_string_literal: true

require 'securerandom'
require_relative '../version'

module Sidewatch
  module Reporter
    # Who is reporting: the same for every event of this process.
    Identity = Struct.new(:service, :runtime, :pid, :host)

    # The common envelope of every event, and the cut to schema lengths.
    module Envelope
      @prefix = SecureRandom.hex(8)
      @counter = 0
      @lock = Mutex.new

      # Event ids: 64 random bits per process (new after a fork) and a counter, as node-asm's
      # request ids; a UUID costs a getrandom(2) call per event here.
      def self.next_id
        n = @lock.synchronize { @counter += 1 }
        "#{@prefix}-#{Process.pid.to_s(36)}-#{n.to_s(36)}"
      end

      # After a fork: the child's ids must not collide with the parent's.
      def self.reseed
        @prefix = SecureRandom.hex(8)
        @counter = 0
      end

      module_function

      def build(identity, kind, body_key, body, request_id = nil)
        event = {
          'id' => Envelope.next_id,
          'ts' => Time.now.utc.strftime('%Y-%m-%dT%H:%M:%S.%LZ'),
          'source' => SOURCE,
          'service' => identity.service,
          'runtime' => identity.runtime,
          'pid' => identity.pid
        }
        event['host'] = identity.host unless identity.host.nil?
        event['request_id'] = cut(request_id, 128) unless request_id.nil?
        event['kind'] = kind
        event[body_key] = body
        event
      end

      # Cuts a string to the schema's limit (and to valid UTF-8) so one huge or binary value
      # cannot get a whole batch rejected.
      def cut(text, max)
        text = text.to_s
        text = text.dup.force_encoding(Encoding::UTF_8) unless text.encoding == Encoding::UTF_8
        text = text.scrub('?') unless text.valid_encoding?
        text.length <= max ? text : text[0, max]
      end

      def endpoint(address, port)
        return nil unless address.is_a?(String)

        { 'address' => cut(address, 64), 'port' => port.is_a?(Integer) && port.between?(0, 65_535) ? port : 0 }
      end

      def error_text(error)
        message = error.message.to_s
        code = error.class.name.to_s
        message.include?(code) ? message : "#{code}: #{message}"
      end

      def round_ms(ms)
        ms.is_a?(Numeric) && ms.positive? ? (ms * 1000).round / 1000.0 : 0
      end
    end
  end
end
