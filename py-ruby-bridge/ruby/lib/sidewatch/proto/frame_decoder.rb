# frozen_string_literal: true

require_relative 'frame'
require_relative '../errors'

module Sidewatch
  module Proto
    # One frame as it came off the wire; payload still compressed when `compressed`.
    RawFrame = Struct.new(:compressed, :payload)

    # Streaming frame decoder: feed it socket chunks of any size, get whole frames out, in order.
    # The declared length is checked against the maximum as soon as the 5-byte header is in, so
    # an oversized frame is refused before any of its payload is buffered. After a framing error
    # the stream is unusable and `push` keeps raising the same error.
    class FrameDecoder
      attr_reader :max_frame_size

      def initialize(max_frame_size: Frame::DEFAULT_MAX_FRAME_SIZE)
        @max_frame_size = max_frame_size
        @buffer = +''.b
        @failed = nil
      end

      def buffered_bytes
        @buffer.bytesize
      end

      # Adds a chunk and yields every frame it completes. A framing error is raised (a fatal
      # ProtocolError) after the frames before it were yielded.
      def push(chunk)
        raise @failed if @failed

        @buffer << chunk.b
        offset = 0
        while @buffer.bytesize - offset >= Frame::HEADER_SIZE
          flags, length = @buffer.byteslice(offset, Frame::HEADER_SIZE).unpack('CN')
          if (flags & ~Frame::KNOWN_FLAGS) != 0
            fail!('SW_ERR_FRAME_FLAGS', format('frame flags 0x%02x set undefined bits; only bit 0 (gzip) is defined', flags))
          end
          fail!('SW_ERR_FRAME_TOO_LARGE', "frame declares #{length} bytes; the maximum is #{@max_frame_size}") if length > @max_frame_size
          break if @buffer.bytesize - offset - Frame::HEADER_SIZE < length

          payload = @buffer.byteslice(offset + Frame::HEADER_SIZE, length)
          offset += Frame::HEADER_SIZE + length
          yield RawFrame.new((flags & Frame::FLAG_GZIP) != 0, payload)
        end
        @buffer = @buffer.byteslice(offset, @buffer.bytesize - offset) if offset.positive?
        nil
      end

      # Call at end of stream: raises SW_ERR_FRAME_TRUNCATED when it ended inside a frame.
      def finish
        raise @failed if @failed

        fail!('SW_ERR_FRAME_TRUNCATED', "stream ended with #{@buffer.bytesize} bytes of an unfinished frame") unless @buffer.empty?
      end

      private

      def fail!(code, message)
        @failed = ProtocolError.new(code, message)
        @buffer = +''.b
        raise @failed
      end
    end
  end
end
