# frozen_string_literal: true

require_relative 'finding'
require_relative 'decoded_values'
require_relative 'ip_address'
require_relative '../whatwg_url'

module Sidewatch
  module Detectors
    # Server-side request forgery: a request input chose where an outbound request goes (port of
    # node-asm's ssrf.ts). An input controls the host when it occurs over the host of the URL as
    # written, or names that host once normalised (`http://2852039166/` is 169.254.169.254).
    # Internal destinations fire when the input chose the host or changed its structure; public
    # ones when a non-header input chose the whole host or its domain.
    module Ssrf
      ARTICLE = { 'unspecified' => 'an' }.freeze
      Target = Struct.new(:hostname, :host_start, :host_stop)

      module_function

      def detect(url, inputs)
        target = :unparsed
        inputs.each do |input|
          DecodedValues.of(input).each do |value|
            next if value.empty? || (!url.include?(value) && !may_name_host?(value))

            target = parse_target(url) if target == :unparsed
            return nil if target.nil?

            control = host_control(target, url, value)
            next if control.nil?

            destination = IpAddress.classify(target.hostname)
            if destination != 'public'
              verb = control == :whole ? 'chooses' : 'rewrites'
              return Finding.new('ssrf', input, url, "input #{verb} the host of a request to #{ARTICLE.fetch(destination, 'a')} #{destination} address (#{target.hostname})")
            end
            if control == :whole && input.source != 'headers'
              return Finding.new('ssrf', input, url, "input chooses the destination host (#{target.hostname})")
            end
          end
        end
        nil
      end

      def parse_target(url)
        start, stop = host_span(url)
        raw = start == -1 ? '' : url[start...stop].downcase
        if start != -1 && plain_host?(raw)
          ip = IpAddress.parse_ipv4(raw)
          return Target.new(ip.nil? ? raw : IpAddress.format_ipv4(ip), start, stop)
        end
        hostname = WhatwgUrl.hostname(url)
        hostname.nil? || hostname.empty? ? nil : Target.new(hostname, start, stop)
      end

      def plain_host?(host)
        !host.empty? && host.match?(/\A[a-z0-9._-]+\z/)
      end

      # The host as written: after `//` and any `user:pass@`, before the port, path, query or fragment.
      def host_span(url)
        slashes = url.index('//')
        return [-1, -1] if slashes.nil? || slashes < 1 || url[slashes - 1] != ':'

        stop = slashes + 2
        stop += 1 while stop < url.length && !"/?#\\".include?(url[stop])
        at = url.rindex('@', stop - 1)
        start = !at.nil? && at > slashes ? at + 1 : slashes + 2
        if url[start] == '['
          close = url.index(']', start)
          return [start, close.nil? || close > stop ? stop : close + 1]
        end
        colon = url.index(':', start)
        [start, colon.nil? || colon > stop ? stop : colon]
      end

      def host_control(target, url, value)
        start = target.host_start
        stop = target.host_stop
        return same_host?(target.hostname, value) ? :whole : nil if start == -1 || !url.include?(value)

        control = nil
        at = url.index(value)
        until at.nil?
          finish = at + value.length
          return nil if finish <= start || at >= stop

          control = strongest(control, occurrence_control(url, at, finish, start, stop))
          at = url.index(value, at + 1)
        end
        control == :suffix ? :whole : control
      end

      def occurrence_control(url, at, finish, start, stop)
        return :whole if at <= start && finish >= stop

        injected = url[[at, start].max...[finish, stop].min]
        structural = at < start || injected.include?(':') || (injected.include?('.') && url[at - 1] != '.')
        return nil unless structural

        finish >= stop ? :suffix : :structure
      end

      def strongest(a, b)
        return :whole if a == :whole || b == :whole
        return :suffix if a == :suffix || b == :suffix

        a || b
      end

      def may_name_host?(value)
        return false if value.length > 2048
        return true if value.include?('://')
        return false if value.length > 255

        value.match?(/\A[A-Za-z0-9.\-:\[\]_]*\z/)
      end

      def same_host?(hostname, value)
        return WhatwgUrl.hostname(value) == hostname if value.include?('://')

        bare = without_port(value.downcase)
        return false if bare.nil? || bare.empty?
        return true if bare == hostname || bare == "#{hostname}."
        return WhatwgUrl.hostname("http://#{bare}/") == hostname if bare.start_with?('[')

        ip = IpAddress.parse_ipv4(bare)
        !ip.nil? && IpAddress.format_ipv4(ip) == hostname
      end

      def without_port(value)
        colon = value.index(':', value.start_with?('[') ? (value.index(']') || 0) : 0)
        return value if colon.nil?
        return nil unless value[(colon + 1)..].match?(/\A\d*\z/)

        value[0...colon]
      end
    end
  end
end
