# frozen_string_literal: true

require_relative 'envelope'

module Sidewatch
  module Reporter
    # The counts behind an `http.summary` event: the requests and outbound calls not reported one
    # by one, per (method, route, status) and (method, host, port, status), with their duration
    # sum and maximum. At most MAX_ROWS rows per side; past that a request is counted in
    # `overflow`, never lost. Thread-safe: requests finish on many threads.
    # A request is counted on every unremarkable request: its rows are found through nested
    # hashes (method, status, route) rather than a key string built for each one.
    class HttpSummary
      MAX_ROWS = 1024
      Row = Struct.new(:fields, :count, :sum, :max)

      def initialize
        @lock = Mutex.new
        reset(Time.now)
      end

      def add_request(method, route, status, duration_ms)
        @lock.synchronize do
          by_route = (@request_rows[method] ||= {})[status] ||= {}
          row = by_route[route]
          if row
            count(row, duration_ms)
          elsif @server.length >= MAX_ROWS
            @overflow += 1
          else
            @server << (by_route[route] = new_row({ 'method' => method, 'route' => route, 'status' => status }, duration_ms))
          end
        end
      end

      def add_call(method, host, port, status, duration_ms)
        add(@client, "#{method} #{status} #{port} #{host}", duration_ms) { { 'method' => method, 'host' => host, 'port' => port, 'status' => status } }
      end

      # The window's event (nil when nothing was counted); the next window starts now.
      def take(identity)
        now = Time.now
        server, client, overflow, start = @lock.synchronize do
          window = [@server, @client, @overflow, @start]
          reset(now)
          window
        end
        return nil if server.empty? && client.empty? && overflow.zero?

        body = { 'start' => iso(start), 'end' => iso(now), 'server' => server.map { |r| row(r, %w[route]) },
                 'client' => client.values.map { |r| row(r, %w[host port]) } }
        body['overflow'] = overflow if overflow.positive?
        Envelope.build(identity, 'http.summary', 'http', body)
      end

      private

      def add(rows, key, duration_ms)
        @lock.synchronize do
          row = rows[key]
          if row
            count(row, duration_ms)
          elsif rows.length >= MAX_ROWS
            @overflow += 1
          else
            rows[key] = new_row(yield, duration_ms)
          end
        end
      end

      def new_row(fields, duration_ms)
        Row.new(fields, 1, duration_ms, duration_ms)
      end

      def count(row, duration_ms)
        row.count += 1
        row.sum += duration_ms
        row.max = duration_ms if duration_ms > row.max
      end

      def row(row, optional)
        f = row.fields
        out = { 'method' => Envelope.cut(f['method'], 32) }
        out['host'] = Envelope.cut(f['host'], 512) if optional.include?('host')
        out['route'] = Envelope.cut(f['route'], 1024) if optional.include?('route') && !f['route'].nil?
        out['port'] = f['port'] if optional.include?('port') && f['port'].is_a?(Integer) && f['port'].between?(0, 65_535)
        out['status'] = f['status'] if f['status'].is_a?(Integer) && f['status'].between?(100, 999)
        out.merge('count' => row.count, 'duration_ms_sum' => Envelope.round_ms(row.sum), 'duration_ms_max' => Envelope.round_ms(row.max))
      end

      def reset(now)
        @server = []
        @request_rows = {}
        @client = {}
        @overflow = 0
        @start = now
      end

      def iso(time)
        time.utc.strftime('%Y-%m-%dT%H:%M:%S.%LZ')
      end
    end
  end
end
