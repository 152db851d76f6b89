# frozen_string_literal: true

require 'socket'
require 'sidewatch/proto'

# A scripted peer on 127.0.0.1:0 speaking the wire protocol, for client behaviours the real
# agent cannot be made to show on demand (an ack withheld, a connection cut mid-batch, a chosen
# welcome mode). It records every hello and events message it receives.
class ScriptedAgent
  P = Sidewatch::Proto
  attr_reader :port, :hellos, :batches
  attr_accessor :ack, :mode, :refuse

  def initialize(mode: 'monitor', ack: true)
    @server = TCPServer.new('127.0.0.1', 0)
    @port = @server.addr[1]
    @mode = mode
    @ack = ack
    @refuse = nil
    @hellos = []
    @batches = []
    @connections = []
    @lock = Mutex.new
    @thread = Thread.new { accept_loop }
  end

  def address
    "tcp://127.0.0.1:#{@port}"
  end

  def events
    @lock.synchronize { @batches.flat_map { |b| b['events'] } }
  end

  # Closes every open connection (the client sees the agent go away mid-session).
  def cut
    @lock.synchronize { @connections.each { |c| c.close rescue nil } } # rubocop:disable Style/RescueModifier
  end

  def close
    @thread.kill
    cut
    @server.close
  end

  private

  def accept_loop
    loop do
      socket = @server.accept
      @lock.synchronize { @connections << socket }
      Thread.new(socket) { |s| serve(s) }
    end
  rescue IOError
    nil
  end

  def serve(socket)
    decoder = P::FrameDecoder.new
    while (data = socket.readpartial(65_536))
      decoder.push(data) { |frame| handle(socket, P::Codec.decode(frame)) }
    end
  rescue IOError, SystemCallError, Sidewatch::ProtocolError
    nil
  end

  def handle(socket, message)
    case message['type']
    when 'hello'
      @lock.synchronize { @hellos << message }
      if @refuse
        socket.write(P::Codec.encode({ 'type' => 'error', 'code' => @refuse, 'message' => 'refused by the script' }))
        socket.close
      else
        socket.write(P::Codec.encode({ 'type' => 'welcome', 'version' => '1.0', 'agent_version' => 'script',
                                       'session_id' => "s-#{@hellos.length}", 'config' => { 'mode' => @mode } }))
      end
    when 'events'
      @lock.synchronize { @batches << message }
      if @ack
        socket.write(P::Codec.encode({ 'type' => 'ack', 'seq' => message['seq'], 'accepted' => message['events'].length, 'rejected' => 0 }))
      end
    end
  end
end
