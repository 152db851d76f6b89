# frozen_string_literal: true

require_relative '../calls'
require_relative '../sinks'
require_relative '../when_defined'

module Sidewatch
  module Hooks
    # Net::HTTP. A call is judged on the URL as the application wrote it: the URI given to
    # Net::HTTP.get / get_response / post / post_form (judged there, before the connection is
    # opened), or the URI given to the request object, or else one built from the connection's
    # address, port and the request path. A request on a connection the application opened
    # itself (Net::HTTP.start { |h| h.get(path) }) is judged before it is sent, after the TCP
    # connection was made.
    module NetHttpHooks
      CALL = :sidewatch_http_call

      module_function

      # Runs `block` as one outbound call owned by the caller (the outer hook); inner hooks
      # only fill in what they learn.
      def own(call)
        previous = Thread.current[CALL]
        Thread.current[CALL] = call
        Sinks.http(call) { yield }
      ensure
        Thread.current[CALL] = previous
      end

      def url_of(http, req)
        uri = req.uri if req.respond_to?(:uri)
        return uri.to_s unless uri.nil?

        host = http.address.to_s
        host = "[#{host}]" if host.include?(':')
        scheme = http.use_ssl? ? 'https' : 'http'
        default = http.use_ssl? ? 443 : 80
        "#{scheme}://#{host}#{http.port == default ? '' : ":#{http.port}"}#{req.path}"
      end

      def endpoint(addrinfo)
        return nil unless addrinfo.respond_to?(:ip_address)

        { 'address' => addrinfo.ip_address[0, 64], 'port' => addrinfo.ip_port }
      rescue StandardError
        nil
      end

      # Prepended to Net::HTTP.
      module Instance
        def request(req, body = nil, &block)
          outer = Thread.current[NetHttpHooks::CALL]
          return super if Sinks.instance.nil? || outer.equal?(:nested)

          call = outer || Calls::Http.new(method: req.method, url: NetHttpHooks.url_of(self, req), host: address.to_s, port: port)
          fill = lambda do |response|
            call.status = response.code.to_i if response.respond_to?(:code)
            call.new_connection = true if @sidewatch_fresh
            @sidewatch_fresh = false
            io = @socket.respond_to?(:io) ? @socket.io : nil
            call.remote ||= NetHttpHooks.endpoint(io&.remote_address)
            call.local ||= NetHttpHooks.endpoint(io&.local_address)
            response
          end
          return fill.call(request_as(:nested) { super }) unless outer.nil?

          NetHttpHooks.own(call) { fill.call(request_as(:nested) { super }) }
        end

        private

        def connect
          result = super
          @sidewatch_fresh = true
          result
        end

        # Net::HTTP#request calls itself (through start) when not started: one call, not two.
        def request_as(marker)
          previous = Thread.current[NetHttpHooks::CALL]
          Thread.current[NetHttpHooks::CALL] = marker
          yield
        ensure
          Thread.current[NetHttpHooks::CALL] = previous
        end
      end

      # Prepended to Net::HTTP.singleton_class: the URI-taking conveniences.
      module ClassMethods
        { get_response: 'GET', post: 'POST', post_form: 'POST' }.each do |name, method|
          define_method(name) do |target, *rest, &block|
            return super(target, *rest, &block) unless target.is_a?(::URI::Generic) && !Sinks.instance.nil? && Thread.current[NetHttpHooks::CALL].nil?

            call = Calls::Http.new(method: method, url: target.to_s, host: target.hostname.to_s, port: target.port)
            NetHttpHooks.own(call) { super(target, *rest, &block) }
          end
        end
      end

      # When the application loads net/http (the bridge does not load it).
      def install
        WhenDefined.call('Net::HTTP') do
          ::Net::HTTP.prepend(Instance)
          ::Net::HTTP.singleton_class.prepend(ClassMethods)
        end
      end
    end
  end
end
