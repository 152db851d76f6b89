# frozen_string_literal: true

module Sidewatch
  # Every error code of the Ruby bridge, in one place. Wire codes (what an `error` message
  # carries) are the protocol's, the same strings as packages/proto/src/errors.ts; SDK codes mean
  # what node-asm's do (packages/node-asm/src/errors.ts). None of these is ever raised into the
  # application except Blocked, which block mode raises in place of the call it stops.
  module Errors
    # code => fatal (the byte stream can no longer be trusted: close the connection)
    WIRE = {
      'SW_ERR_FRAME_TOO_LARGE' => true,
      'SW_ERR_FRAME_FLAGS' => true,
      'SW_ERR_FRAME_TRUNCATED' => true,
      'SW_ERR_EMPTY_MESSAGE' => false,
      'SW_ERR_DECOMPRESS' => false,
      'SW_ERR_INVALID_UTF8' => false,
      'SW_ERR_INVALID_JSON' => false,
      'SW_ERR_UNKNOWN_MESSAGE_TYPE' => false,
      'SW_ERR_INVALID_MESSAGE' => false,
      'SW_ERR_UNSUPPORTED_VERSION' => true,
      'SW_ERR_INVALID_EVENT' => false,
      'SW_ERR_BATCH_TOO_LARGE' => false,
      'SW_ERR_AUTH' => true,
      'SW_ERR_HANDSHAKE_REQUIRED' => true,
      'SW_ERR_HANDSHAKE_TIMEOUT' => true,
      'SW_ERR_TOO_MANY_CONNECTIONS' => true,
      'SW_ERR_STORE_UNAVAILABLE' => true
    }.freeze

    SDK = {
      'SW_ERR_CONFIG' => 'an environment variable or start() option is invalid; the default is used instead',
      'SW_ERR_AGENT_UNREACHABLE' => 'the agent could not be reached; events are queued and the SDK keeps retrying',
      'SW_ERR_AGENT_REJECTED' => 'the agent refused the handshake (wrong token, unsupported protocol version, ...)',
      'SW_ERR_AGENT_PROTOCOL' => 'the agent sent bytes that are not valid sidewatch frames; the connection is dropped',
      'SW_ERR_INTERNAL' => 'an SDK hook or callback failed; the application call went through unchanged',
      'SW_ERR_BLOCKED' => 'block mode stopped a call that request input had turned into an attack'
    }.freeze
  end

  # An error of the wire protocol: a stable code and, for shape errors, the offending field as a
  # JSON Pointer into the message (`/events/3/pid`).
  class ProtocolError < StandardError
    attr_reader :code, :field

    def initialize(code, message, field = nil)
      raise ArgumentError, "unknown wire error code #{code}" unless Errors::WIRE.key?(code)

      super(message)
      @code = code
      @field = field
    end

    def fatal?
      Errors::WIRE.fetch(code)
    end
  end

  # Raised by a hook in block mode, in place of the call it stops. It names the attack class so
  # the application's logs say why; the Rack middleware answers the request 403 whatever the
  # application does with it.
  class Blocked < StandardError
    attr_reader :attack_class, :sink

    def initialize(attack_class, sink)
      super("sidewatch blocked #{sink}: request input made it a #{attack_class.tr('_', ' ')}")
      @attack_class = attack_class
      @sink = sink
    end

    def code
      'SW_ERR_BLOCKED'
    end
  end
end
