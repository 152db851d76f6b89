# frozen_string_literal: true

module Sidewatch
  module Detectors
    # Where a host name or IP literal points, without DNS. IPv4 literals are read the way the
    # WHATWG URL parser (and glibc's inet_aton, which Ruby's resolver uses) reads them:
    # `2852039166`, `0251.0376.0251.0376`, `0xa9fea9fe` are all 169.254.169.254. IPv6 literals are
    # expanded so that IPv4-mapped, NAT64 and 6to4 forms are judged by the IPv4 they carry.
    module IpAddress
      METADATA_V4 = [0xa9fea9fe, 0xa9feaa02, 0xa9feaa17].freeze
      HEX_GROUP = /\A[0-9a-f]{1,4}\z/i.freeze
      DECIMAL_OCTET = /\A\d{1,3}\z/.freeze
      METADATA_NAMES = %w[metadata metadata.google.internal instance-data instance-data.ec2.internal metadata.azure.internal].freeze

      module_function

      # :loopback, :'link-local', :private, :metadata, :public or :unspecified, as strings.
      def classify(host)
        h = host.downcase
        if h.start_with?('[') && h.end_with?(']')
          v6 = parse_ipv6(h[1...-1])
          return v6.nil? ? 'public' : classify_ipv6(v6)
        end
        h = h.chomp('.') while h.end_with?('.')
        return 'unspecified' if h.empty?
        return 'loopback' if h == 'localhost' || h.end_with?('.localhost')
        return 'metadata' if METADATA_NAMES.include?(h)

        v4 = parse_ipv4(h)
        return classify_ipv4(v4) unless v4.nil?

        if h.include?(':')
          v6 = parse_ipv6(h)
          return classify_ipv6(v6) unless v6.nil?
        end
        'public'
      end

      def classify_ipv4(ip)
        a = ip >> 24
        b = (ip >> 16) & 0xff
        return 'metadata' if METADATA_V4.include?(ip)
        return 'unspecified' if a.zero?
        return 'loopback' if a == 127
        return 'link-local' if a == 169 && b == 254
        return 'private' if a == 10 || (a == 172 && b >= 16 && b <= 31) || (a == 192 && b == 168)
        return 'private' if a == 100 && b >= 64 && b <= 127

        'public'
      end

      # WHATWG IPv4 parser: one to four numbers, decimal, octal (leading 0) or hex (0x); the last
      # fills the remaining bytes; a trailing empty part is allowed. nil when not an IPv4.
      def parse_ipv4(host)
        text = host.length > 1 && host.end_with?('.') ? host[0...-1] : host
        parts = text.split('.', -1)
        return nil if parts.empty? || parts.length > 4

        numbers = parts.map { |part| ipv4_number(part) }
        return nil if numbers.any?(&:nil?)

        last = numbers.pop
        return nil if numbers.any? { |n| n > 255 } || last >= 256**(4 - numbers.length)

        ip = 0
        numbers.each_with_index { |n, i| ip += n * (256**(3 - i)) }
        ip + last
      end

      def ipv4_number(part)
        return nil if part.empty?

        if part.length >= 2 && part.start_with?('0x', '0X')
          digits = part[2..]
          return 0 if digits.empty?
          return digits.match?(/\A[0-9a-fA-F]+\z/) ? digits.to_i(16) : nil
        end
        return (part[1..].match?(/\A[0-7]+\z/) ? part[1..].to_i(8) : nil) if part.length >= 2 && part.start_with?('0')

        part.match?(/\A\d+\z/) ? part.to_i : nil
      end

      def format_ipv4(ip)
        [ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255].join('.')
      end

      def classify_ipv6(groups)
        g0, g1, g2, g3, g4, g5, g6, g7 = groups
        v4 = (g6 << 16) | g7
        zero_prefix = g0.zero? && g1.zero? && g2.zero? && g3.zero? && g4.zero?
        if zero_prefix && g5.zero? && g6.zero?
          return 'unspecified' if g7.zero?
          return 'loopback' if g7 == 1

          return classify_ipv4(v4)
        end
        return classify_ipv4(v4) if zero_prefix && (g5 == 0xffff || g5.zero?)
        return classify_ipv4(v4) if g0 == 0x64 && g1 == 0xff9b && g2.zero? && g3.zero? && g4.zero? && g5.zero?
        return classify_ipv4((g1 << 16) | g2) if g0 == 0x2002
        if g0 == 0xfd00 && g1 == 0x0ec2 && [g2, g3, g4, g5, g6].all?(&:zero?) && (g7 == 0x254 || g7 == 0x23)
          return 'metadata'
        end
        return 'link-local' if (g0 & 0xffc0) == 0xfe80
        return 'private' if (g0 & 0xfe00) == 0xfc00 || (g0 & 0xffc0) == 0xfec0

        'public'
      end

      # Eight 16-bit groups, with `::` and a dotted IPv4 tail; a `%zone` is ignored.
      def parse_ipv6(text)
        address = text.split('%', 2).first || ''
        halves = address.split('::', -1)
        return nil if halves.length > 2

        head = parse_groups(halves[0] || '')
        tail = halves.length == 2 ? parse_groups(halves[1]) : []
        return nil if head.nil? || tail.nil?

        missing = 8 - head.length - tail.length
        return nil if halves.length == 2 ? missing < 1 : missing != 0

        head + Array.new(missing, 0) + tail
      end

      def parse_groups(text)
        return [] if text.empty?

        groups = []
        parts = text.split(':', -1)
        parts.each_with_index do |part, i|
          if i == parts.length - 1 && part.include?('.')
            v4 = strict_dotted_ipv4(part)
            return nil if v4.nil?

            groups.push(v4 >> 16, v4 & 0xffff)
          else
            return nil unless HEX_GROUP.match?(part)

            groups << part.to_i(16)
          end
        end
        groups
      end

      def strict_dotted_ipv4(text)
        parts = text.split('.', -1)
        return nil unless parts.length == 4

        parts.reduce(0) do |ip, part|
          return nil unless DECIMAL_OCTET.match?(part) && part.to_i <= 255

          (ip * 256) + part.to_i
        end
      end
    end
  end
end
