# frozen_string_literal: true

require 'json'
require_relative 'detectors/finding'
require_relative 'detectors/decoded_values'
require_relative 'redact'
require_relative 'x_headers'

module Sidewatch
  # The request's inputs as flattened, bounded `Input`s with dotted names, in node-asm's order:
  # the raw path, the query, the attacker-relevant headers, the cookies, then the body (form or
  # JSON) and the framework's path params (`params.id`).
  module RequestInputs
    MAX_INPUTS = 256
    MAX_VALUE = 4096
    MAX_DEPTH = 8
    MAX_BODY = 1024 * 1024
    # Rack env key -> input name, for the headers taken besides any X-* one.
    INPUT_HEADERS = { 'HTTP_USER_AGENT' => 'headers.user-agent', 'HTTP_REFERER' => 'headers.referer' }.freeze
    Input = Detectors::Input

    module_function

    def from_env(env)
      inputs = []
      path = env['PATH_INFO'].to_s
      add_one(inputs, 'path', 'path', path) unless path.empty? || path == '/'
      query = env['QUERY_STRING'].to_s
      add_pairs(inputs, 'query', parse_query(query)) unless query.empty?
      add_headers(inputs, env)
      cookie = env['HTTP_COOKIE']
      add(inputs, 'cookies', parse_cookies(cookie)) if cookie.is_a?(String)
      add(inputs, 'body', body(env))
      inputs
    end

    # Flattens `value` into inputs named `prefix.key.index...`.
    def add(inputs, source, value, prefix = source, depth = 0)
      return if inputs.length >= MAX_INPUTS || depth > MAX_DEPTH

      case value
      when String then add_one(inputs, source, prefix, value)
      when Numeric, true, false then add_one(inputs, source, prefix, value.to_s)
      when Symbol then add_one(inputs, source, prefix, value.to_s)
      when Array then value.each_with_index { |v, i| add(inputs, source, v, "#{prefix}.#{i}", depth + 1) }
      when Hash then value.each { |k, v| add(inputs, source, v, "#{prefix}.#{k}", depth + 1) }
      end
    end

    def add_one(inputs, source, name, value)
      return if inputs.length >= MAX_INPUTS

      # ASCII compares with any command line or path as is; anything else is read as UTF-8.
      unless value.ascii_only?
        value = value.dup.force_encoding(Encoding::UTF_8) unless value.encoding == Encoding::UTF_8
        value = value.scrub unless value.valid_encoding?
      end
      value = value[0, MAX_VALUE] if value.length > MAX_VALUE
      inputs << Input.new(name.length > 1024 ? name[0, 1024] : name, value, source)
    end

    # Repeated keys become `query.key.0`, `query.key.1`, as URLSearchParams-based node-asm does.
    def add_pairs(inputs, source, pairs)
      if pairs.length < 2 || pairs.map(&:first).uniq.length == pairs.length
        pairs.each { |key, value| add_one(inputs, source, "#{source}.#{key}", value) }
        return
      end

      counts = Hash.new(0)
      pairs.each { |k, _| counts[k] += 1 }
      index = Hash.new(0)
      pairs.each do |key, value|
        if counts[key] > 1
          add_one(inputs, source, "#{source}.#{key}.#{index[key]}", value)
          index[key] += 1
        else
          add_one(inputs, source, "#{source}.#{key}", value)
        end
      end
    end

    # application/x-www-form-urlencoded decoding (`+` is a space; malformed escapes stay).
    def parse_query(text)
      pairs = []
      text.split('&', MAX_INPUTS + 1).each do |pair|
        next if pair.empty?

        eq = pair.index('=')
        pairs << (eq.nil? ? [form_decode(pair), ''] : [form_decode(pair[0, eq]), form_decode(pair[(eq + 1)..])])
        break if pairs.length >= MAX_INPUTS
      end
      pairs
    end

    def form_decode(text)
      return text unless text.include?('+') || text.include?('%')

      Detectors::DecodedValues.percent_decode_lenient(text.tr('+', ' '))
    end

    # Raw text (a query string, a cookie header) none of whose values, decoded, can move a path has
    # none of these: `/` (a value may start with it), `~`, `%` and `\\` (they decode to anything),
    # a NUL, `..`, `file:`.
    MAY_MOVE = %r{[/~%\\\0]|\.\.|file:}.freeze

    # A header value is one input as it stands (percent-decoded forms included): it can move a
    # path when it starts with `/`, `~/` or `file:`, or holds `%`, `..` or a NUL.
    HEADER_MAY_MOVE = %r{\A(?:/|~/|file:)|%|\.\.|\0}.freeze

    # True when no input but the path (and route params) can hold a value that moves a path: see
    # RequestContext#path_inputs. A request with a form or JSON body is not looked into.
    def only_path_can_move?(env)
      return false if env['rack.request.form_hash'].is_a?(Hash)

      type = env['CONTENT_TYPE']
      return false if !type.nil? && (type.to_s.include?('json') || type.to_s.start_with?('application/x-www-form-urlencoded'))
      return false if may_move?(env['QUERY_STRING'], MAY_MOVE) || may_move?(env['HTTP_COOKIE'], MAY_MOVE)
      # The INPUT_HEADERS, then the X-* ones.
      return false if may_move?(env['HTTP_USER_AGENT'], HEADER_MAY_MOVE) || may_move?(env['HTTP_REFERER'], HEADER_MAY_MOVE)

      XHeaders.of(env).none? { |key| may_move?(env[key], HEADER_MAY_MOVE) }
    end

    def may_move?(value, pattern)
      value.is_a?(String) && pattern.match?(value)
    end

    # User-Agent, Referer and every X-* header but the secret ones (X-Forwarded-For included).
    def add_headers(inputs, env)
      each_input_header(env) { |key, value| add_one(inputs, 'headers', INPUT_HEADERS[key] || "headers.#{key[5..].downcase.tr('_', '-')}", value) }
    end

    # The headers taken as inputs (INPUT_HEADERS, then every X-* one but the secret ones): key, value.
    def each_input_header(env)
      INPUT_HEADERS.each_key do |key|
        value = env[key]
        yield key, value if value.is_a?(String)
      end
      XHeaders.of(env).each do |key|
        value = env[key]
        yield key, value if value.is_a?(String)
      end
    end

    def parse_cookies(header)
      cookies = {}
      header.split(';').first(256).each do |part|
        name, value = part.split('=', 2)
        next if value.nil?

        name = name.strip
        next if name.empty? || cookies.key?(name)

        value = value.strip
        value = value[1...-1] if value.length >= 2 && value.start_with?('"') && value.end_with?('"')
        cookies[name] = Detectors::DecodedValues.percent_decode(value)
      end
      cookies
    end

    # The parsed form (what Rack::Request#POST cached) or the JSON body, read without consuming it.
    def body(env)
      form = env['rack.request.form_hash']
      return form if form.is_a?(Hash)

      type = env['CONTENT_TYPE'].to_s
      json = type.include?('json')
      return nil unless json || type.start_with?('application/x-www-form-urlencoded')

      text = read_input(env['rack.input'])
      return nil if text.nil? || text.empty?

      json ? JSON.parse(text) : parse_query(text).to_h
    rescue JSON::ParserError
      nil
    end

    def read_input(io)
      return nil unless io.respond_to?(:rewind) && io.respond_to?(:read)

      pos = io.respond_to?(:pos) ? io.pos : 0
      io.rewind
      text = io.read(MAX_BODY)
      pos.zero? || !io.respond_to?(:seek) ? io.rewind : io.seek(pos)
      text&.force_encoding(Encoding::UTF_8)
    end
  end
end
