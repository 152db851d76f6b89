# frozen_string_literal: true

module Sidewatch
  # Where the agent listens: `tcp://HOST:PORT` or `unix:/PATH` (the agent's own listen syntax).
  AgentAddress = Struct.new(:kind, :host, :port, :path) do
    def to_s
      return "unix:#{path}" if kind == :unix

      "tcp://#{host.include?(':') ? "[#{host}]" : host}:#{port}"
    end

    TCP = %r{\Atcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\z}.freeze

    # An address, or a String saying what was expected.
    def self.parse(text)
      if text.start_with?('unix:')
        path = text.delete_prefix('unix:').sub(%r{\A//(?=/)}, '')
        return 'has no socket path; expected unix:/PATH' if path.empty?

        return new(:unix, nil, nil, File.expand_path(path))
      end
      m = TCP.match(text)
      return 'is not an agent address; expected tcp://127.0.0.1:7878 or unix:/PATH' if m.nil?

      port = m[2].to_i
      return "has port #{port}; expected 1-65535" if port < 1 || port > 65_535

      host = m[1].start_with?('[') ? m[1][1...-1] : m[1]
      new(:tcp, host, port, nil)
    end
  end
end
