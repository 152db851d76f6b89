# frozen_string_literal: true

require_relative 'test_helper'
require_relative 'support/wait'
require_relative 'support/scripted_agent'
require 'rack'
require 'rack/mock'
require 'sidewatch'

# The Rack middleware in one process, block mode pinned, a scripted peer as the agent.
class MiddlewareTest < Minitest::Test
  PEER = ScriptedAgent.new
  Sidewatch.start(agent: PEER.address, mode: 'block', flush_interval_ms: 5, service: 'mw-test')

  def app(&block)
    Rack::Builder.new { run block }.to_app
  end

  def test_a_blocked_call_answers_403_even_when_the_app_rescues_it
    rescued = app do |env|
      system("echo #{Rack::Request.new(env).params['n']}", out: File::NULL)
      [200, {}, ['ran']]
    rescue Sidewatch::Blocked => e
      [500, {}, ["rescued #{e.code}"]]
    end
    res = Rack::MockRequest.new(rescued).get('/x?n=a%3Bid')
    assert_equal 403, res.status
    assert_equal 'blocked by sidewatch', JSON.parse(res.body)['error']
    html = Rack::MockRequest.new(rescued).get('/x?n=a%3Bid', 'HTTP_ACCEPT' => 'text/html,*/*')
    assert_equal [403, 'text/html; charset=utf-8'], [html.status, html.headers['content-type']]
    assert_equal 'ran', Rack::MockRequest.new(rescued).get('/x?n=abc').body
  end

  def test_one_request_one_context_even_with_the_middleware_twice
    inner = Sidewatch::Rack::Middleware.new(->(_) { [200, {}, [Sidewatch::RequestContext.current.id]] })
    outer = app { |env| inner.call(env) }
    id = Rack::MockRequest.new(outer).get('/twice').body
    refute_empty id
    assert_nil Sidewatch::RequestContext.current, 'the context ends with the request'
  end

  def test_inputs_come_from_query_headers_cookies_and_json_body
    seen = nil
    reader = app do |env|
      seen = Sidewatch::RequestContext.current.inputs.map { |i| [i.name, i.value, i.source] }
      [200, {}, [env['rack.input'].read]]
    end
    res = Rack::MockRequest.new(reader).post('/p?a=1&a=2&b=x+y', input: '{"user":{"name":"n","tags":["t"]}}', 'CONTENT_TYPE' => 'application/json',
                                                             'HTTP_X_FORWARDED_FOR' => '10.0.0.1', 'HTTP_COOKIE' => 's=%2Fv; t="q"', 'HTTP_AUTHORIZATION' => 'Bearer z')
    assert_equal '{"user":{"name":"n","tags":["t"]}}', res.body, 'the app still reads the whole body'
    assert_equal [%w[path /p path], %w[query.a.0 1 query], %w[query.a.1 2 query], ['query.b', 'x y', 'query'],
                  %w[headers.x-forwarded-for 10.0.0.1 headers], %w[cookies.s /v cookies], %w[cookies.t q cookies],
                  %w[body.user.name n body], %w[body.user.tags.0 t body]], seen
  end

  def test_remarkable_requests_are_reported_and_the_rest_counted
    plain = app { |_| [200, {}, ['ok']] }
    denied = app { |_| [401, {}, ['no']] }
    Rack::MockRequest.new(plain).get('/ok')
    Rack::MockRequest.new(denied).get('/denied')
    Wait.until('the 401 reported') { PEER.events.find { |e| e['kind'] == 'http.request' && e.dig('http', 'status') == 401 } }
    Sidewatch.instance.flush_summary
    summary = Wait.until('the summary') { PEER.events.find { |e| e['kind'] == 'http.summary' && e.dig('http', 'server').any? { |r| r['status'] == 200 } } }
    assert_nil PEER.events.find { |e| e['kind'] == 'http.request' && e.dig('http', 'url') == '/ok' }
    assert_operator summary['http']['server'].find { |r| r['status'] == 200 }['count'], :>=, 1
  end
end
