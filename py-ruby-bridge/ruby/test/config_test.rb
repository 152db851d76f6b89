# frozen_string_literal: true

require_relative 'test_helper'
require 'open3'
require 'sidewatch/config'

# SIDEWATCH_* variables read as node-asm reads them; a bad value is one SW_ERR_CONFIG line and
# the default.
class ConfigTest < Minitest::Test
  def read(env, options = {})
    Sidewatch::ConfigReader.read(options, env)
  end

  def test_defaults
    config, problems = read({})
    assert_empty problems
    assert_equal ['tcp://127.0.0.1:7878', 'monitor', false, 10_000, 2000, 256, 'security'],
                 [config.agent.to_s, config.mode, config.mode_pinned, config.queue_size, config.flush_timeout_ms, config.batch_events, config.http_events]
  end

  def test_environment_values
    config, problems = read('SIDEWATCH_AGENT' => 'unix:/run/sw/agent.sock', 'SIDEWATCH_TOKEN' => 't', 'SIDEWATCH_SERVICE' => 'svc',
                            'SIDEWATCH_MODE' => 'block', 'SIDEWATCH_QUEUE_SIZE' => '5', 'SIDEWATCH_FLUSH_TIMEOUT_MS' => '0',
                            'SIDEWATCH_DISABLED' => 'no', 'SIDEWATCH_HTTP_EVENTS' => 'all', 'SIDEWATCH_REDACT' => 'ssn, card')
    assert_empty problems
    assert_equal ['unix:/run/sw/agent.sock', 't', 'svc', 'block', true, 5, 0, false, 'all', %w[ssn card]],
                 [config.agent.to_s, config.token, config.service, config.mode, config.mode_pinned, config.queue_size,
                  config.flush_timeout_ms, config.disabled, config.http_events, config.redact]
    assert_equal ['::1', 9], read('SIDEWATCH_AGENT' => 'tcp://[::1]:9')[0].agent.to_h.values_at(:host, :port)
  end

  def test_bad_values_fall_back_to_defaults_with_one_problem_each
    config, problems = read('SIDEWATCH_AGENT' => 'http://x', 'SIDEWATCH_MODE' => 'stop', 'SIDEWATCH_QUEUE_SIZE' => '-1',
                            'SIDEWATCH_DISABLED' => 'maybe', 'SIDEWATCH_BATCH_SIZE' => '1e3')
    assert_equal 5, problems.length, problems.inspect
    assert_equal ['tcp://127.0.0.1:7878', 'monitor', 10_000, false, 256], [config.agent.to_s, config.mode, config.queue_size, config.disabled, config.batch_events]
    assert(problems.any? { |p| p.start_with?('SIDEWATCH_MODE="stop"') })
  end

  def test_a_bad_value_prints_one_sw_err_config_line_and_the_app_runs
    lib = File.expand_path('../lib', __dir__)
    _, err, status = Open3.capture3({ 'SIDEWATCH_MODE' => 'stop', 'SIDEWATCH_QUEUE_SIZE' => 'lots', 'SIDEWATCH_AGENT' => 'tcp://127.0.0.1:9',
                                      'SIDEWATCH_FLUSH_TIMEOUT_MS' => '100' },
                                    'ruby', '-I', lib, '-rsidewatch/auto', '-e', 'puts `echo ran`')
    assert status.success?
    lines = err.lines.grep(/SW_ERR_CONFIG/)
    assert_equal 1, lines.length, err
    assert_match(/SIDEWATCH_MODE="stop".*SIDEWATCH_QUEUE_SIZE="lots"/, lines.first)
  end

  def test_disabled_patches_nothing_and_sends_nothing
    lib = File.expand_path('../lib', __dir__)
    out, status = Open3.capture2({ 'SIDEWATCH_DISABLED' => '1' }, 'ruby', '-I', lib, '-rsidewatch/auto', '-e',
                                 'print Sidewatch.active?, " ", Kernel.instance_method(:system).owner')
    assert status.success?
    assert_equal 'false Kernel', out
  end
end
