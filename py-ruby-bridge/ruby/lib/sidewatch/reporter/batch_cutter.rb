# frozen_string_literal: true

require 'json'
require_relative '../proto/frame'

module Sidewatch
  module Reporter
    # Cuts the queue into `events` messages of up to max_events events and max_bytes bytes of
    # JSON. Events are serialised here, on the reporter's thread, once each: the head that did
    # not fit is kept serialised for the next batch.
    class BatchCutter
      MAX_EVENT_BYTES = Proto::Frame::DEFAULT_MAX_FRAME_SIZE - 1024
      Batch = Struct.new(:events, :json)

      def initialize(max_events, max_bytes)
        @max_events = max_events
        @max_bytes = max_bytes
        @carry = nil
      end

      # The next batch off `queue` (nil when empty). An event too large for any frame is taken
      # off and counted through the block instead.
      def take(queue)
        events = []
        json = []
        bytes = 0
        while events.length < @max_events
          event = queue.peek
          break if event.nil?

          text = @carry && @carry[0].equal?(event) ? @carry[1] : JSON.generate(event)
          @carry = nil
          size = text.bytesize
          if size > MAX_EVENT_BYTES
            queue.shift
            yield
            next
          end
          if !events.empty? && bytes + size + 1 > @max_bytes
            @carry = [event, text]
            break
          end
          queue.shift
          events << event
          json << text
          bytes += size + 1
        end
        events.empty? ? nil : Batch.new(events, json)
      end

      # The frame of one `events` message built from already serialised events.
      def self.frame(seq, json)
        Proto::Frame.encode(%({"type":"events","seq":#{seq},"events":[#{json.join(',')}]}))
      end
    end
  end
end
