# frozen_string_literal: true

require 'securerandom'
require_relative 'request_inputs'
require_relative 'warn'

module Sidewatch
  # The incoming request a piece of code runs for, kept in fiber-local storage
  # (Thread.current[], which Ruby keeps per fiber) by the Rack middleware for the sink calls the
  # request makes. Inputs are flattened from the Rack env only when a sink call first looks.
  class RequestContext
    KEY = :sidewatch_request
    ROUTES = {}
    MAX_ROUTES = 1024
    ID_PREFIX = SecureRandom.hex(8)
    @counter = 0
    @counter_lock = Mutex.new

    class << self
      def current
        Thread.current[KEY]
      end

      # Runs the block with `ctx` as the current request.
      def with(ctx)
        previous = Thread.current[KEY]
        Thread.current[KEY] = ctx
        yield
      ensure
        Thread.current[KEY] = previous
      end

      def next_number
        @counter_lock.synchronize { @counter += 1 }
      end

      # After a fork: the child's request ids must not repeat the parent's.
      def reseed
        @prefix = SecureRandom.hex(8)
        @counter = 0
      end

      def prefix
        @prefix ||= ID_PREFIX
      end
    end

    attr_reader :env, :started_at
    attr_accessor :status, :duration_ms, :blocked, :notable, :params_source
    attr_writer :route, :url

    # Most requests are only counted: nothing is built here that a counted request does not need.
    def initialize(env)
      @env = env
      @started_at = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      @inputs = nil
      @params_source = nil
    end

    def method
      @env['REQUEST_METHOD'].to_s
    end

    def user_agent
      @env['HTTP_USER_AGENT']
    end

    # Path and query as received.
    def url
      @url ||= begin
        query = @env['QUERY_STRING'].to_s
        "#{@env['SCRIPT_NAME']}#{@env['PATH_INFO']}#{query.empty? ? '' : "?#{query}"}"
      end
    end

    # Unique per request, made when first read.
    def id
      @id ||= "#{self.class.prefix}-#{self.class.next_number.to_s(36)}"
    end

    # The inputs, flattened at the first read; path params are added once a framework knows them
    # (a Sinatra route that ran: `params_source` is its app instance).
    def inputs
      @inputs ||= RequestInputs.from_env(@env)
      unless @params_source.nil?
        source = @params_source
        @params_source = nil
        Warn.guard('reading Sinatra params') { RequestInputs.add(@inputs, 'params', Rack::SinatraParams.from_path(source)) }
      end
      @inputs
    end

    # The inputs the path-traversal check needs to see. It only ever finds a value that can move a
    # path (absolute, `~/`, `file:`, a NUL, a `..` segment, in any percent-decoded form). When the
    # raw query, the input headers and the cookies show that none of their values can be one, and
    # there is no form or JSON body, only the path and the route params are made into inputs: the
    # others could never be the input found, so the finding is the same. Otherwise, and once the
    # inputs were read for another check, all of them.
    def path_inputs
      return inputs unless @inputs.nil? && RequestInputs.only_path_can_move?(@env)

      own = []
      path = @env['PATH_INFO'].to_s
      RequestInputs.add_one(own, 'path', 'path', path) unless path.empty? || path == '/'
      unless @params_source.nil?
        source = @params_source
        Warn.guard('reading Sinatra params') { RequestInputs.add(own, 'params', Rack::SinatraParams.from_path(source)) }
      end
      own
    end

    # The route template when a framework knows it: Sinatra's `GET /users/:id` -> `/users/:id`
    # (remembered for the next request of the same route, at most MAX_ROUTES of them).
    def route
      return @route unless @route.nil?

      sinatra = @env['sinatra.route']
      return nil unless sinatra.is_a?(String)

      ROUTES[sinatra] || remember_route(sinatra)
    end

    def client
      addr = @env['REMOTE_ADDR']
      addr.nil? ? nil : { 'address' => addr.to_s[0, 64], 'port' => @env['REMOTE_PORT'].to_i }
    end

    def local
      port = @env['SERVER_PORT'].to_i
      addr = @env['SERVER_ADDR'] || @env['SERVER_NAME']
      addr.nil? ? nil : { 'address' => addr.to_s[0, 64], 'port' => port }
    end

    private

    def remember_route(sinatra)
      template = sinatra.split(' ', 2).last.freeze
      ROUTES[sinatra] = template if ROUTES.length < MAX_ROUTES
      template
    end
  end
end
