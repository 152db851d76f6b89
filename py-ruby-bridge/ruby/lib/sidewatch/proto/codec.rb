# frozen_string_literal: true

require 'json'
require 'zlib'
require 'stringio'
require_relative 'frame'
require_relative '../errors'

module Sidewatch
  module Proto
    # Message <-> frame. Decoding checks bytes, gzip, UTF-8, JSON and the `type` discriminator;
    # the shape of each type is checked by MessageCheck.
    module Codec
      MESSAGE_TYPES = %w[hello welcome error events ack ping pong].freeze

      module_function

      # Compact JSON, keys in the order given, non-ASCII as UTF-8.
      def encode(message, compress: false)
        Frame.encode(JSON.generate(message), compress: compress)
      end

      def decode(frame, max_frame_size: Frame::DEFAULT_MAX_FRAME_SIZE)
        payload = frame.compressed ? gunzip(frame.payload, max_frame_size) : frame.payload
        raise ProtocolError.new('SW_ERR_EMPTY_MESSAGE', 'frame payload is empty; expected a JSON object') if payload.empty?

        text = payload.dup.force_encoding(Encoding::UTF_8)
        raise ProtocolError.new('SW_ERR_INVALID_UTF8', "payload of #{payload.bytesize} bytes is not valid UTF-8") unless text.valid_encoding?

        value = begin
          JSON.parse(text)
        rescue JSON::ParserError => e
          raise ProtocolError.new('SW_ERR_INVALID_JSON', "payload is not valid JSON: #{e.message[0, 200]}")
        end
        raise ProtocolError.new('SW_ERR_INVALID_MESSAGE', 'message must be a JSON object', '') unless value.is_a?(Hash)

        type = value['type']
        unless type.is_a?(String) && MESSAGE_TYPES.include?(type)
          got = type.is_a?(String) ? JSON.generate(type[0, 64]) : 'none'
          raise ProtocolError.new('SW_ERR_UNKNOWN_MESSAGE_TYPE', "message type #{got} is not one of #{MESSAGE_TYPES.join(', ')}", '/type')
        end
        value
      end

      # Inflates at most `max` bytes: a gzip bomb is refused without being inflated whole.
      def gunzip(data, max)
        reader = Zlib::GzipReader.new(StringIO.new(data))
        out = reader.read(max + 1) || +''
        raise ProtocolError.new('SW_ERR_FRAME_TOO_LARGE', "gzip payload inflates past the maximum of #{max} bytes") if out.bytesize > max

        out.b
      rescue Zlib::Error => e
        raise ProtocolError.new('SW_ERR_DECOMPRESS', "gzip payload is corrupt: #{e.message}")
      end
    end
  end
end
