# frozen_string_literal: true

require_relative 'detectors/ip_address'

module Sidewatch
  # The parts of the WHATWG URL parser (what `new URL(text)` does in Node) that decide where a
  # request goes, for the special schemes http, https, ws, wss and ftp: scheme, userinfo, host
  # (percent-decoded, lower-cased, IPv4 in any WHATWG form canonicalised, IPv6 compressed), port
  # (default dropped), and `href` with `\` read as `/`, dot segments resolved and the characters
  # WHATWG escapes escaped. Ruby's URI is stricter (it refuses `http://a\@b/`), so the SSRF
  # detector uses this to read a URL the way the other SDKs do. Not supported (nil): other
  # schemes, relative URLs, IDNA for non-ASCII host names.
  module WhatwgUrl
    DEFAULT_PORTS = { 'http' => 80, 'https' => 443, 'ws' => 80, 'wss' => 443, 'ftp' => 21 }.freeze
    FORBIDDEN_HOST = %r{[\x00\t\n\r #/:<>?@\[\\\]^|%]}.freeze
    Parsed = Struct.new(:scheme, :userinfo, :hostname, :port, :path, :query, :fragment) do
      def href
        auth = userinfo.nil? ? '' : "#{userinfo}@"
        out = +"#{scheme}://#{auth}#{hostname}"
        out << ":#{port}" unless port.nil?
        out << path
        out << "?#{query}" unless query.nil?
        out << "##{fragment}" unless fragment.nil?
        out
      end
    end

    module_function

    def hostname(url)
      parse(url)&.hostname
    end

    def parse(text)
      input = text.gsub(/[\t\n\r]/, '').sub(/\A[\x00-\x20]+/, '').sub(/[\x00-\x20]+\z/, '')
      m = /\A([A-Za-z][A-Za-z0-9+.-]*):/.match(input)
      return nil if m.nil?

      scheme = m[1].downcase
      return nil unless DEFAULT_PORTS.key?(scheme)

      rest = input[m[0].length..].sub(%r{\A[/\\]*}, '')
      stop = rest.index(%r{[/\\?#]}) || rest.length
      authority = rest[0...stop]
      tail = rest[stop..]
      at = authority.rindex('@')
      userinfo = at.nil? ? nil : authority[0...at]
      host_port = at.nil? ? authority : authority[(at + 1)..]
      host_text, port_text = split_port(host_port)
      return nil if host_text.nil?

      host = parse_host(host_text)
      return nil if host.nil? || host.empty?

      port = parse_port(port_text, scheme)
      return nil if port == false

      path, query, fragment = split_tail(tail)
      Parsed.new(scheme, userinfo.nil? || userinfo.empty? ? nil : escape(userinfo, /[^!$&'()*+,\-.0-9;=A-Z_a-z~:%]/),
                 host, port, normalize_path(path), query && escape(query, /[^!$%&()*+,\-.\/0-9:;=?@A-Z\[\\\]^_`a-z{|}~]/),
                 fragment && escape(fragment, /[^!#$%&'()*+,\-.\/0-9:;=?@A-Z\[\\\]^_a-z{|}~]/))
    end

    def split_port(host_port)
      if host_port.start_with?('[')
        close = host_port.index(']')
        return [nil, nil] if close.nil?

        after = host_port[(close + 1)..]
        return [nil, nil] unless after.empty? || after.start_with?(':')

        return [host_port[0..close], after.empty? ? nil : after[1..]]
      end
      colon = host_port.index(':')
      colon.nil? ? [host_port, nil] : [host_port[0...colon], host_port[(colon + 1)..]]
    end

    def parse_port(text, scheme)
      return nil if text.nil? || text.empty?
      return false unless text.match?(/\A\d+\z/) && text.to_i <= 65_535

      port = text.to_i
      port == DEFAULT_PORTS[scheme] ? nil : port
    end

    def parse_host(text)
      if text.start_with?('[')
        groups = Detectors::IpAddress.parse_ipv6(text[1...-1])
        return groups.nil? || text[1...-1].include?('%') ? nil : "[#{format_ipv6(groups)}]"
      end
      decoded = text.b.gsub(/%[0-9A-Fa-f]{2}/) { |m| m[1, 2].hex.chr }.force_encoding(Encoding::UTF_8)
      return nil unless decoded.valid_encoding? && decoded.ascii_only?

      host = decoded.downcase
      return nil if FORBIDDEN_HOST.match?(host)
      return host unless ends_in_number?(host)

      ip = Detectors::IpAddress.parse_ipv4(host)
      ip.nil? ? nil : Detectors::IpAddress.format_ipv4(ip)
    end

    # WHATWG "ends in a number": the last label (ignoring one trailing dot) is digits or 0x hex.
    def ends_in_number?(host)
      labels = host.split('.', -1)
      labels.pop if labels.last == '' && labels.length > 1
      last = labels.last.to_s
      return false if last.empty?

      last.match?(/\A\d+\z/) || last.match?(/\A0x[0-9a-f]*\z/)
    end

    # Hex groups, the longest run of two or more zero groups written `::`.
    def format_ipv6(groups)
      best_start = -1
      best_len = 1
      i = 0
      while i < 8
        if groups[i].zero?
          j = i
          j += 1 while j < 8 && groups[j].zero?
          if j - i > best_len
            best_start = i
            best_len = j - i
          end
          i = j
        else
          i += 1
        end
      end
      hex = groups.map { |g| g.to_s(16) }
      return hex.join(':') if best_start == -1

      "#{hex[0...best_start].join(':')}::#{hex[(best_start + best_len)..].join(':')}"
    end

    def split_tail(tail)
      hash = tail.index('#')
      fragment = hash.nil? ? nil : tail[(hash + 1)..]
      tail = tail[0...hash] unless hash.nil?
      q = tail.index('?')
      query = q.nil? ? nil : tail[(q + 1)..]
      path = q.nil? ? tail : tail[0...q]
      [path, query, fragment]
    end

    def normalize_path(path)
      segments = path.tr('\\', '/').split('/', -1)
      segments.shift if segments.first == ''
      out = []
      segments.each_with_index do |seg, i|
        last = i == segments.length - 1
        lower = seg.downcase
        if ['..', '.%2e', '%2e.', '%2e%2e'].include?(lower)
          out.pop
          out << '' if last
        elsif ['.', '%2e'].include?(lower)
          out << '' if last
        else
          out << escape(seg, /[^!$%&'()*+,\-.0-9:;=@A-Z\[\\\]^_a-z|~]/)
        end
      end
      "/#{out.join('/')}"
    end

    def escape(text, unsafe)
      text.gsub(unsafe) { |c| c.b.bytes.map { |b| format('%%%02X', b) }.join }
    end
  end
end
