# frozen_string_literal: true

require_relative 'test_helper'
require_relative 'support/wait'
require_relative 'support/scripted_agent'
require_relative 'support/real_agent'
require 'sidewatch/config'
require 'sidewatch/reporter/client'

# The reporter client against the real agent and a scripted peer.
class ClientTest < Minitest::Test
  R = Sidewatch::Reporter

  def client(agent, **overrides)
    config, problems = Sidewatch::ConfigReader.read({ agent: agent, service: 'client-test', flush_interval_ms: 20,
                                                      reconnect_min_ms: 20, reconnect_max_ms: 200 }.merge(overrides), {})
    assert_empty problems
    identity = R::Identity.new('client-test', { 'name' => 'ruby', 'version' => RUBY_VERSION }, Process.pid, nil)
    c = R::Client.new(config, identity)
    @clients << c
    [c, identity]
  end

  def event(identity, n)
    R::Envelope.build(identity, 'agent.stats', 'stats', { 'component' => 'test', 'counters' => { 'n' => n } })
  end

  def setup
    @clients = []
    @agents = []
  end

  def teardown
    @clients.each(&:stop)
    @agents.each { |a| a.respond_to?(:cleanup) ? a.cleanup : a.close }
  end

  def real_agent(**options)
    skip 'agent not built (npx tsc -b)' unless RealAgent.available?
    RealAgent.new(**options).tap { |a| @agents << a }
  end

  def test_delivers_batches_to_the_real_agent_over_unix_and_tcp
    agent = real_agent
    %W[unix:#{agent.unix} #{agent.tcp}].each do |address|
      c, identity = client(address, token: agent.token)
      ids = (1..300).map { |n| event(identity, n).tap { |e| c.enqueue(e) }['id'] }
      Wait.until("300 events via #{address}") { (ids - agent.events.map { |e| e['id'] }).empty? }
      Wait.until('acks') { c.stats[:acked] == 300 }
      assert_equal 0, c.stats[:dropped]
    end
  end

  def test_a_full_queue_drops_the_oldest_and_the_next_session_reports_the_count
    agent_dir = Dir.mktmpdir('sidewatch-rb-drop-')
    sock = File.join(agent_dir, 'a.sock')
    c, identity = client("unix:#{sock}", token: 'rb-token', queue_size: 5)
    ids = (1..12).map { |n| event(identity, n).tap { |e| c.enqueue(e) }['id'] }
    Wait.until('the drops to be counted') { c.stats[:dropped] == 7 }
    agent = real_agent(dir: agent_dir, unix: sock)
    stats = agent.event('the agent.stats event with the drop count') { |e| e['kind'] == 'agent.stats' && e.dig('stats', 'counters', 'dropped_events') }
    assert_equal 7, stats.dig('stats', 'counters', 'dropped_events')
    Wait.until('the five newest events') { (ids.last(5) - agent.events.map { |e| e['id'] }).empty? }
    assert_empty ids.first(7) & agent.events.map { |e| e['id'] }, 'the oldest were dropped'
  end

  def test_hello_carries_the_drops_and_unacked_batches_are_resent_after_reconnect
    peer = ScriptedAgent.new(ack: false).tap { |a| @agents << a }
    c, identity = client(peer.address, queue_size: 3)
    first = event(identity, 1)
    c.enqueue(first)
    Wait.until('the first batch') { peer.events.any? { |e| e['id'] == first['id'] } }
    peer.ack = true
    peer.cut
    Wait.until('the same event sent again after the reconnect') { peer.events.count { |e| e['id'] == first['id'] } >= 2 }
    assert_operator peer.hellos.length, :>=, 2
    Wait.until('the resent batch acknowledged') { c.stats[:acked] >= 1 }

    # Agent away: 5 events into a queue of 3 drop 2; the next hello says so.
    peer.refuse = 'SW_ERR_AUTH'
    peer.cut
    Wait.until('a refused handshake') { peer.hellos.length >= 3 }
    5.times { |n| c.enqueue(event(identity, 10 + n)) }
    Wait.until('two drops') { c.stats[:dropped] == 2 }
    peer.refuse = nil
    Wait.until('a hello with dropped: 2', timeout: 20) { peer.hellos.any? { |h| h['dropped'] == 2 } }
    Wait.until('the drop report') { peer.events.any? { |e| e['kind'] == 'agent.stats' && e.dig('stats', 'counters', 'dropped_events') == 2 } }
  end

  def test_welcome_mode_applies_unless_pinned
    peer = ScriptedAgent.new(mode: 'block').tap { |a| @agents << a }
    free, identity = client(peer.address)
    pinned, = client(peer.address, mode: 'monitor')
    [free, pinned].each { |c| c.enqueue(event(identity, 1)) }
    Wait.until('both sessions') { peer.hellos.length >= 2 }
    Wait.until('the welcome applied') { free.mode == 'block' }
    Wait.until('both batches') { peer.batches.length >= 2 }
    assert_equal 'monitor', pinned.mode
  end

  def test_flush_waits_for_the_ack_and_gives_up_in_time_when_the_agent_is_away
    agent = real_agent
    c, identity = client("unix:#{agent.unix}", token: agent.token, flush_interval_ms: 60_000)
    e = event(identity, 1)
    c.enqueue(e)
    c.flush(5000)
    assert_equal [0, 1], c.stats.values_at(:queued, :acked), 'flush returned once the agent acknowledged the event'
    agent.event('the flushed event in the sink') { |x| x['id'] == e['id'] }

    away, identity = client('tcp://127.0.0.1:9', flush_interval_ms: 60_000)
    away.enqueue(event(identity, 2))
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    away.flush(3000)
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 2.5, 'one refused attempt ends the exit flush'
    assert_equal 1, away.stats[:queued]
  end

  def test_backoff_doubles_with_jitter_to_the_cap
    b = R::Backoff.new(min_ms: 100, max_ms: 1000, random: Random.new(1))
    delays = Array.new(6) { b.next_ms }
    [100, 200, 400, 800, 1000, 1000].zip(delays).each { |ceiling, d| assert_includes (ceiling / 2)..ceiling, d }
    b.reset
    assert_operator b.next_ms, :<=, 100
    b.to_cap
    assert_operator b.next_ms, :>=, 500
  end

  def test_bounded_queue_unshift_keeps_the_newest
    q = R::BoundedQueue.new(3)
    q.push(:c)
    assert_equal 1, q.unshift_many(%i[x a b])
    assert_equal %i[a b c], Array.new(3) { q.shift }
    assert_equal 1, q.dropped
  end
end
