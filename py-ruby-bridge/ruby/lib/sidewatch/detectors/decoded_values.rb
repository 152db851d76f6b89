# frozen_string_literal: true

module Sidewatch
  module Detectors
    # The forms of an input value that can reach a sink: the value, then each successive
    # percent-decoding of it that differs (at most two), for apps that decode again. Decoding is
    # JavaScript's decodeURIComponent (no `+` to space), so both SDKs judge the same strings.
    module DecodedValues
      MAX_DECODES = 2
      ESCAPE = /%[0-9A-Fa-f]{2}/.freeze
      MALFORMED = /%(?![0-9A-Fa-f]{2})/.freeze

      module_function

      # Cached on the input (a request's inputs are compared with every hooked call it makes).
      def of(input)
        input.decoded ||= decoded_values(input.value).freeze
      end

      def decoded_values(value)
        return [value] unless value.include?('%')

        values = [value]
        current = value
        MAX_DECODES.times do
          break unless current.include?('%')

          nxt = percent_decode(current)
          break if nxt == current

          values << nxt
          current = nxt
        end
        values
      end

      # decodeURIComponent that leaves the value as is when it holds a malformed escape (`%zz`)
      # or the escapes do not make UTF-8.
      def percent_decode(value)
        return value if MALFORMED.match?(value)

        out = value.b.gsub(ESCAPE) { |m| m[1, 2].hex.chr }.force_encoding(Encoding::UTF_8)
        out.valid_encoding? ? out : value
      end

      # URLSearchParams-style decoding: valid escapes decoded, malformed ones left as they are,
      # bytes that do not make UTF-8 replaced.
      def percent_decode_lenient(value)
        return value unless value.include?('%')

        value.b.gsub(ESCAPE) { |m| m[1, 2].hex.chr }.force_encoding(Encoding::UTF_8).scrub("\uFFFD")
      end
    end
  end
end
