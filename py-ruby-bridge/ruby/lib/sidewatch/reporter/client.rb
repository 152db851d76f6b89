# frozen_string_literal: true

require_relative 'backoff'
require_relative 'bounded_queue'
require_relative 'batch_cutter'
require_relative 'agent_socket'
require_relative 'events'
require_relative '../proto'
require_relative '../warn'
require_relative '../version'

module Sidewatch
  module Reporter
    # The client of the agent: a bounded queue of events, sent in batches over one connection by
    # a background thread, kept until acknowledged (at least once; event ids let the agent drop
    # duplicates). Mirrors node-asm's reporter (packages/node-asm/src/reporter/reporter.ts):
    #
    #   disconnected --connect, hello--> handshaking --welcome--> ready
    #        ^                                                      |
    #        +--- backoff (100 ms doubling to 10 s, jittered) <-- close/error
    #
    # - The application's side is `enqueue`: a push under a lock, and a wake-up of the thread
    #   when a batch starts or is full. Nothing there waits on the socket.
    # - A batch goes out when batch_events are queued, or flush_interval_ms after its first
    #   event, cut at batch_bytes; at most max_inflight_batches wait for their ack.
    # - On a lost connection unacknowledged batches go back to the front of the queue (oldest
    #   dropped if that overflows) and are resent after the next handshake.
    # - Drops are counted exactly; the next hello carries `dropped: N` and an agent.stats event
    #   with dropped_events: N goes first; N is forgotten only when that event is acknowledged.
    # - A refused handshake (SW_ERR_AUTH, ...) prints one line and retries at the capped backoff.
    # - At exit, `flush(timeout)` holds the process at most flush_timeout_ms to deliver.
    class Client
      UNREACHABLE_WARN_AFTER = 5
      Inflight = Struct.new(:seq, :events, :reports_drops)

      attr_reader :mode

      def initialize(config, identity)
        @config = config
        @identity = identity
        @mode = config.mode
        @periodic = []
        reset_process_state
      end

      # Runs the block every `ms` on the reporter thread (the http.summary window).
      def every(ms, &block)
        @periodic << [ms / 1000.0, block, monotonic + ms / 1000.0]
      end

      # Queues an event; never raises, never waits on the socket.
      def enqueue(event)
        wake = false
        @lock.synchronize do
          # The thread learns of a new batch (its flush timer starts) and of a full one.
          if @queue.empty?
            @oldest_at = monotonic
            wake = true
          end
          drop(@queue.push(event))
          wake ||= @queue.length == @config.batch_events
        end
        ensure_thread
        wake! if wake
      rescue StandardError => e
        Warn.internal('queueing an event', e)
      end

      def stats
        @lock.synchronize do
          inflight = @inflight.values.sum { |b| b.reports_drops.nil? ? b.events.length : 0 }
          @counters.merge(queued: @queue.length, inflight: inflight, connected: @state == :ready)
        end
      end

      # Delivers what is queued, waiting at most timeout_ms (at exit). With no connection, one
      # attempt is made; a refused or lost connection ends the wait.
      def flush(timeout_ms = @config.flush_timeout_ms)
        return if timeout_ms.zero?

        deadline = monotonic + timeout_ms / 1000.0
        @lock.synchronize do
          return if @queue.empty? && @inflight.empty?

          @exiting = true
          @exit_done = false
        end
        ensure_thread
        wake!
        @lock.synchronize do
          until (@queue.empty? && @inflight.empty?) || @exit_done
            remaining = deadline - monotonic
            break if remaining <= 0

            @done.wait(@lock, remaining)
          end
          @exiting = false
        end
      end

      # Stops for good: closes the socket; what is still queued is not delivered.
      def stop
        @stopped = true
        wake!
        @thread&.join(1)
        close_socket
      end

      # In a forked child: the parent's socket, thread and queue are the parent's. The child
      # starts empty (the parent delivers what it had queued) and connects on its first event.
      def after_fork
        @socket&.close rescue nil # rubocop:disable Style/RescueModifier -- the parent's fd, closing only our copy
        @identity.pid = Process.pid
        reset_process_state
      end

      private

      def reset_process_state
        @lock = Mutex.new
        @done = ConditionVariable.new
        @queue = BoundedQueue.new(@config.queue_size)
        @cutter = BatchCutter.new(@config.batch_events, @config.batch_bytes)
        @backoff = Backoff.new(min_ms: @config.reconnect_min_ms, max_ms: @config.reconnect_max_ms)
        @inflight = {}
        @state = :disconnected
        @socket = nil
        @thread = nil
        @wake_r, @wake_w = IO.pipe
        @seq = 0
        @failures = 0
        @unreported_drops = 0
        @stats_inflight = false
        @oldest_at = nil
        @exiting = false
        @exit_done = false
        @stopped = false
        @counters = { sent: 0, acked: 0, rejected: 0, dropped: 0, reconnects: 0 }
        @owner_pid = Process.pid
      end

      def ensure_thread
        return if @thread&.alive?

        @lock.synchronize do
          return if @thread&.alive? || @stopped

          @thread = Thread.new { run }
          @thread.name = 'sidewatch-reporter' if @thread.respond_to?(:name=)
          @thread.report_on_exception = false
        end
      end

      def wake!
        @wake_w.write_nonblock('.', exception: false)
      rescue IOError, SystemCallError
        nil
      end

      def run
        Thread.current[:sidewatch_internal] = true
        until @stopped
          begin
            step
          rescue StandardError => e
            Warn.internal('the reporter thread', e)
            close_connection(e)
          end
        end
      end

      def step
        if @state != :ready
          return if connect_and_handshake

          @counters[:reconnects] += 1
          end_exit_wait
          wait_for_wake(@backoff.next_ms / 1000.0)
          return
        end
        unless @write_error.nil?
          close_connection(@write_error)
          return
        end
        run_periodic
        pump
        readable, = IO.select([@socket, @wake_r], nil, nil, next_timeout)
        return if readable.nil?

        drain_wake if readable.include?(@wake_r)
        read_socket if readable.include?(@socket)
      end

      def connect_and_handshake
        @state = :handshaking
        timeout = @config.handshake_timeout_ms / 1000.0
        @socket = AgentSocket.open(@config.agent, timeout)
        @decoder = Proto::FrameDecoder.new
        @socket.write(Proto::Codec.encode(hello))
        deadline = monotonic + timeout
        while @state == :handshaking
          remaining = deadline - monotonic
          raise IOError, "no welcome within #{@config.handshake_timeout_ms} ms" if remaining <= 0

          read_socket if IO.select([@socket], nil, nil, remaining)
        end
        @state == :ready
      rescue IOError, SystemCallError, SocketError, ProtocolError => e
        failed_attempt(e)
        false
      end

      def hello
        message = { 'type' => 'hello', 'version' => Proto::MessageCheck::PROTOCOL_VERSION }
        message['token'] = @config.token unless @config.token.nil?
        message.merge!('runtime' => @identity.runtime, 'sdk' => { 'name' => SDK_NAME, 'version' => VERSION },
                       'service' => @identity.service, 'pid' => @identity.pid)
        message['host'] = @identity.host unless @identity.host.nil?
        drops = @lock.synchronize { @unreported_drops }
        message['dropped'] = drops if drops.positive?
        message
      end

      def failed_attempt(error)
        refused = @refused
        close_connection(error)
        return if refused

        @failures += 1
        return unless @failures == UNREACHABLE_WARN_AFTER

        Warn.once('SW_ERR_AGENT_UNREACHABLE', "agent at #{@config.agent} is unreachable (#{error.class}: #{error.message}); " \
                                              "keeping up to #{@config.queue_size} events and retrying")
      end

      def read_socket
        data = @socket.read_nonblock(65_536, exception: false)
        return if data == :wait_readable
        raise EOFError, 'agent closed the connection' if data.nil?

        @decoder.push(data) { |frame| on_message(Proto::Codec.decode(frame)) }
      rescue ProtocolError => e
        Warn.once('SW_ERR_AGENT_PROTOCOL', "agent at #{@config.agent} sent an invalid frame (#{e.code}: #{e.message}); reconnecting") if e.fatal?
        raise IOError, e.message if @state == :handshaking

        close_connection(e) if e.fatal?
      rescue IOError, SystemCallError => e
        raise if @state == :handshaking

        close_connection(e)
      end

      def on_message(message)
        case message['type']
        when 'welcome' then on_welcome(message)
        when 'ack' then on_ack(message['seq'], message['rejected'])
        when 'error' then on_error(message)
        when 'ping' then write(Proto::Codec.encode(message.key?('id') ? { 'type' => 'pong', 'id' => message['id'] } : { 'type' => 'pong' }))
        end
      end

      def on_welcome(message)
        return unless @state == :handshaking

        @state = :ready
        @failures = 0
        @backoff.reset
        mode = message.dig('config', 'mode')
        @mode = mode if !@config.mode_pinned && %w[monitor block].include?(mode)
      end

      def on_error(message)
        return unless @state == :handshaking

        # The agent refused us and will close the connection: retrying fast would not help.
        @backoff.to_cap
        @refused = true
        Warn.once('SW_ERR_AGENT_REJECTED', "agent at #{@config.agent} refused the handshake (#{message['code']}: #{message['message']}); " \
                                           "events are not delivered, retrying about every #{[1, (@config.reconnect_max_ms / 1000.0).round].max} s")
        raise IOError, "handshake refused: #{message['code']}"
      end

      def on_ack(seq, rejected)
        @lock.synchronize do
          batch = @inflight.delete(seq)
          return if batch.nil?

          if batch.reports_drops.nil?
            @counters[:acked] += batch.events.length
            @counters[:rejected] += rejected if rejected.is_a?(Integer) && rejected.positive?
          else
            @unreported_drops = [0, @unreported_drops - batch.reports_drops].max
            @stats_inflight = false
          end
          @done.broadcast
        end
      end

      # Sends batches while the window allows: full ones always, a partial one when its first
      # event has waited flush_interval_ms or the process is exiting.
      def pump
        @lock.synchronize do
          if @unreported_drops.positive? && !@stats_inflight
            @stats_inflight = true
            event = Events.stats(@identity, @unreported_drops)
            send_batch([event], [JSON.generate(event)], @unreported_drops)
          end
          while !@queue.empty? && @inflight.length < @config.max_inflight_batches
            break unless @queue.length >= @config.batch_events || @exiting || flush_due?

            batch = @cutter.take(@queue) { drop(1) }
            break if batch.nil?

            send_batch(batch.events, batch.json, nil)
          end
          @oldest_at = nil if @queue.empty?
        end
      end

      def flush_due?
        !@oldest_at.nil? && monotonic - @oldest_at >= @config.flush_interval_ms / 1000.0
      end

      def send_batch(events, json, reports_drops)
        @seq += 1
        @inflight[@seq] = Inflight.new(@seq, events, reports_drops)
        @counters[:sent] += events.length if reports_drops.nil?
        write(BatchCutter.frame(@seq, json))
      end

      def write(frame)
        @socket&.write(frame)
      rescue IOError, SystemCallError => e
        @write_error = e
      end

      def next_timeout
        timeouts = @periodic.map { |_, _, due| due - monotonic }
        @lock.synchronize do
          timeouts << (@oldest_at + @config.flush_interval_ms / 1000.0 - monotonic) unless @oldest_at.nil?
          return 0 if @write_error
        end
        return 1.0 if timeouts.empty?

        timeouts.min.clamp(0.001, 1.0)
      end

      def run_periodic
        now = monotonic
        @periodic.each do |entry|
          next if now < entry[2]

          entry[2] = now + entry[0]
          Warn.guard('a periodic report') { entry[1].call }
        end
      end

      def close_connection(error)
        close_socket
        @refused = false
        @write_error = nil
        @state = :disconnected
        @lock.synchronize do
          # Unacknowledged events go back to the front, oldest first. The stats batch does not:
          # its drops are still unreported and the next hello counts them again.
          back = @inflight.values.sort_by(&:seq).select { |b| b.reports_drops.nil? }.flat_map(&:events)
          @inflight.clear
          @stats_inflight = false
          @oldest_at ||= monotonic unless back.empty?
          drop(@queue.unshift_many(back))
        end
        error
      end

      def end_exit_wait
        @lock.synchronize do
          next unless @exiting

          @exit_done = true
          @done.broadcast
        end
      end

      def close_socket
        @socket&.close
      rescue IOError, SystemCallError
        nil
      ensure
        @socket = nil
      end

      # The backoff wait: new events do not cut it short (a dead agent would be retried at
      # every batch); an exit flush or stop does.
      def wait_for_wake(seconds)
        deadline = monotonic + seconds
        until @exiting || @stopped
          remaining = deadline - monotonic
          break if remaining <= 0

          drain_wake if IO.select([@wake_r], nil, nil, remaining)
        end
      end

      def drain_wake
        @wake_r.read_nonblock(4096, exception: false)
      end

      def drop(count)
        return if count.zero?

        @counters[:dropped] += count
        @unreported_drops += count
      end

      def monotonic
        Process.clock_gettime(Process::CLOCK_MONOTONIC)
      end
    end
  end
end
