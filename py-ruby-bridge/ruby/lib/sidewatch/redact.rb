# frozen_string_literal: true

module Sidewatch
  # Redaction of whatever leaves the process (port of node-asm's redact.ts): secret-bearing
  # headers, and any parameter, field or query key whose name looks like a credential, get the
  # value `[redacted]`.
  module Redact
    REDACTED = '[redacted]'
    SENSITIVE_HEADERS = %w[authorization proxy-authorization cookie set-cookie x-api-key x-auth-token].freeze
    SENSITIVE_NAME = /pass(word)?|token|secret|api[-_]?key|auth|credential|session|private[-_]?key/i.freeze
    @extra = []

    class << self
      # Extra names to redact (SIDEWATCH_REDACT), matched case-insensitively, whole or per dotted segment.
      def names=(names)
        @extra = names.map(&:downcase)
      end

      def sensitive?(name)
        lower = name.downcase
        return true if SENSITIVE_HEADERS.include?(lower) || SENSITIVE_NAME.match?(name)
        return false if @extra.empty?

        @extra.include?(lower) || lower.split('.').any? { |segment| @extra.include?(segment) }
      end

      def value(name, value)
        sensitive?(name) ? REDACTED : value
      end

      # The URL with sensitive query values and a userinfo password replaced.
      def url(url)
        out = url.to_s
        m = %r{\A[a-z][a-z0-9+.-]*://([^/?#@]*)@}i.match(out)
        out = out.sub("#{m[1]}@", "#{m[1][0...m[1].index(':')]}:#{REDACTED}@") if m && m[1].include?(':')
        q = out.index('?')
        return out if q.nil?

        hash = out.index('#', q)
        query = out[(q + 1)...(hash || out.length)]
        redacted = query.split('&', -1).map do |pair|
          key = pair.split('=', 2).first.to_s
          sensitive?(decode_key(key)) ? "#{key}=#{REDACTED}" : pair
        end.join('&')
        out[0..q] + redacted + (hash.nil? ? '' : out[hash..])
      end

      def decode_key(key)
        decoded = key.tr('+', ' ').b.gsub(/%[0-9A-Fa-f]{2}/) { |m| m[1, 2].hex.chr }.force_encoding(Encoding::UTF_8)
        decoded.valid_encoding? ? decoded : key
      end
    end
  end
end
