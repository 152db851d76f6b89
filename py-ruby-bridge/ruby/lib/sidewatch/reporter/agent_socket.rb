# frozen_string_literal: true

require 'socket'

module Sidewatch
  module Reporter
    # Opens the stream socket to the agent: a unix socket, or TCP with Nagle off, both with a
    # connect deadline so a black-holed address cannot hang the reporter thread.
    module AgentSocket
      module_function

      def open(address, timeout_s)
        return UNIXSocket.new(address.path) if address.kind == :unix

        socket = Socket.tcp(address.host, address.port, connect_timeout: timeout_s)
        socket.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
        socket
      end
    end
  end
end
