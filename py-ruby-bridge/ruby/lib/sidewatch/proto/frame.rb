# frozen_string_literal: true

require 'zlib'
require 'stringio'

module Sidewatch
  module Proto
    # gRPC-style framing: [flags u8][length u32 BE][payload]; flag bit 0 = gzip.
    module Frame
      HEADER_SIZE = 5
      FLAG_GZIP = 0x01
      KNOWN_FLAGS = FLAG_GZIP
      DEFAULT_MAX_FRAME_SIZE = 1024 * 1024

      module_function

      def encode(payload, compress: false)
        body = payload.b
        body = gzip(body) if compress
        [compress ? FLAG_GZIP : 0, body.bytesize].pack('CN') + body
      end

      def gzip(data)
        io = StringIO.new(+''.b)
        gz = Zlib::GzipWriter.new(io)
        gz.write(data)
        gz.close
        io.string
      end
    end
  end
end
