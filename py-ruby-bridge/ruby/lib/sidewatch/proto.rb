# frozen_string_literal: true

# The sidewatch wire protocol in Ruby (docs/protocol.md): framing, message codec and checks,
# and the event validator over the shipped copy of event-schema.json.
require_relative 'errors'
require_relative 'proto/frame'
require_relative 'proto/frame_decoder'
require_relative 'proto/codec'
require_relative 'proto/message_check'
require_relative 'proto/event_validator'
