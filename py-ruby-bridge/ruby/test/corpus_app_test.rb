# frozen_string_literal: true

require_relative 'test_helper'
require_relative 'support/corpus'
require_relative 'support/real_agent'
require 'json'
require 'tmpdir'
require 'fileutils'

# The node-asm corpus through a real Ruby app (Sinatra on WEBrick, the bridge in block mode) and
# the real agent: every attack answered 403 with an attack event of its class and input, no
# benign case blocked or reported. Cases a Ruby app cannot express are listed with the reason.
# The app runs in its own network namespace (no route out: benign calls to public hosts fail
# fast) and mount namespace with fresh /tmp and /var/log (benign shell redirections write there).
class CorpusAppTest < Minitest::Test
  DRIVER = File.expand_path('support/corpus_driver.rb', __dir__)
  RESULTS = {}

  def self.run_corpus
    return RESULTS unless RESULTS.empty?

    # Outside /tmp: the driver mounts a fresh /tmp in its namespace, and the socket must stay visible.
    base = File.join(RepoPaths::BRIDGE, '.tmp')
    FileUtils.mkdir_p(base)
    dir = Dir.mktmpdir('corpus-', base)
    agent = RealAgent.new(dir: dir)
    results = File.join(dir, 'results.jsonl')
    # A repository checked out under /tmp (a CI clone) would vanish under the fresh /tmp: the old
    # /tmp is first bound under the namespace's own /var/log, and the repository bound back from it.
    script = <<~'SH'
      set -e
      ip link set lo up
      mount -t tmpfs tmpfs /var/log
      case "$SW_REPO" in /tmp/*) mkdir /var/log/.outer-tmp; mount --bind /tmp /var/log/.outer-tmp;; esac
      mount -t tmpfs tmpfs /tmp
      case "$SW_REPO" in /tmp/*) mkdir -p "$SW_REPO"; mount --bind "/var/log/.outer-tmp/${SW_REPO#/tmp/}" "$SW_REPO";; esac
      exec ruby -I "$0" "$@"
    SH
    ok = system({ 'SW_REPO' => RepoPaths::ROOT }, 'unshare', '--net', '--mount', '--propagation', 'private', 'sh', '-c', script, RepoPaths::LIB, DRIVER, agent.unix, results, dir,
                out: File.join(dir, 'driver.out'), err: File.join(dir, 'driver.err'))
    RESULTS[:error] = File.read(File.join(dir, 'driver.err')).then { |s| s[-2000..] || s } unless ok
    RESULTS[:cases] = File.exist?(results) ? File.readlines(results).map { |l| JSON.parse(l) } : []
    wait_until_delivered(agent, RESULTS[:cases])
    RESULTS[:attacks] = agent.events.select { |e| e['kind'] == 'attack' }
    agent.cleanup
    FileUtils.rm_rf(dir)
    RESULTS
  end

  # The app flushes at exit (SIGTERM): its events are at the agent once the drain is logged; wait
  # for the attack count to match the 403s.
  def self.wait_until_delivered(agent, cases)
    blocked = cases.count { |c| c['status'] == 403 }
    Wait.until('the attack events of every blocked case', timeout: 30) { agent.events.count { |e| e['kind'] == 'attack' } >= blocked }
  rescue Minitest::Assertion
    nil
  end

  def results
    skip 'agent not built (npx tsc -b)' unless RealAgent.available?
    skip 'needs root for unshare --net --mount' unless Process.uid.zero?
    r = self.class.run_corpus
    flunk "the corpus driver failed: #{r[:error]}" if r[:error]
    r
  end

  def attack_for(r, id)
    r[:attacks].find { |e| e.dig('attack', 'request', 'url').to_s.include?("case=#{URI.encode_www_form_component(id)}&") || e.dig('attack', 'request', 'url').to_s.end_with?("case=#{URI.encode_www_form_component(id)}") }
  end

  # nil when the app ran the case, else why it could not.
  # Only one way for the server to stand between a case and the app is accepted: a path param
  # holding `../`, which WEBrick normalises out of the request path (404, no route). Any other
  # answer the app did not write fails the case.
  def not_applicable(kase, got)
    if got['status'] == 404 && kase['input']['source'] == 'params' && kase['input']['value'].include?('../') && !got['response'].key?('applicable')
      return 'WEBrick normalises `..` out of the request path before routing: the value cannot reach a path param'
    end

    got['response']['applicable'] == false ? got['response']['reason'] : nil
  end

  TALLY = Hash.new { |h, k| h[k] = Hash.new(0) }
  NOT_APPLICABLE = []

  Corpus.load('attacks').each do |kase|
    define_method("test_app_attack_#{kase['id']}") do
      r = results
      got = r[:cases].find { |c| c['id'] == kase['id'] }
      refute_nil got, 'the driver sent the case'
      reason = not_applicable(kase, got)
      unless reason.nil?
        NOT_APPLICABLE << [kase['id'], reason]
        skip "not applicable in Ruby: #{reason}"
      end
      TALLY[kase['class']][:attacks] += 1
      event = attack_for(r, kase['id'])
      ok = got['status'] == 403 && !event.nil? && event.dig('attack', 'class') == kase['class'] && event.dig('attack', 'input', 'name') == kase['input']['name']
      TALLY[kase['class']][:detected] += 1 if ok
      assert ok, "#{kase['id']}: status #{got['status']}, event #{event&.dig('attack')&.slice('class', 'input', 'sink').inspect}"
    end
  end

  Corpus.load('benign').each do |kase|
    define_method("test_app_benign_#{kase['id']}") do
      r = results
      got = r[:cases].find { |c| c['id'] == kase['id'] }
      refute_nil got, 'the driver sent the case'
      reason = not_applicable(kase, got)
      unless reason.nil?
        NOT_APPLICABLE << [kase['id'], reason]
        skip "not applicable in Ruby: #{reason}"
      end
      TALLY[kase['class']][:benign] += 1
      event = attack_for(r, kase['id'])
      TALLY[kase['class']][:flagged] += 1 unless event.nil? && got['status'] != 403
      assert_nil event&.dig('attack'), kase['id']
      refute_equal 403, got['status'], kase['id']
      assert_equal true, got['response']['applicable'], "#{kase['id']}: the app answered #{got.inspect}"
    end
  end

  Minitest.after_run do
    next if TALLY.empty?

    puts "\n# corpus through a Ruby app (Sinatra/WEBrick, block mode, real agent)"
    puts '# class              attacks  detected  benign  false positives'
    Corpus::CLASSES.each do |k|
      t = TALLY[k]
      pct = ->(n, d) { d.zero? ? '0%' : format('%.1f%%', 100.0 * n / d) }
      puts format('# %-18s %7d  %8s  %6d  %15s', k, t[:attacks], pct.call(t[:detected], t[:attacks]), t[:benign], pct.call(t[:flagged], t[:benign]))
    end
    NOT_APPLICABLE.sort.each { |id, why| puts "# not applicable: #{id}: #{why}" }
  end
end
