# frozen_string_literal: true

require_relative 'test_helper'
require 'stringio'
require 'sidewatch/request_context'
require 'sidewatch/detectors/path_traversal'

# RequestContext#path_inputs leaves out the inputs that cannot move a path when the raw request
# shows there are none: the path-traversal finding must be the same as with every input, for
# seeded random requests (query, headers, cookies, path) and file paths, and the short list must
# be taken for ordinary requests.
class PathInputsTest < Minitest::Test
  PT = Sidewatch::Detectors::PathTraversal
  ALPHABET = ['a', 'b', '.', '.', '/', '%', '2', 'e', 'f', '~', '=', '&', ':', 'file:', "\0", '+'].freeze

  def random_text(rng, max)
    Array.new(rng.rand(max + 1)) { ALPHABET[rng.rand(ALPHABET.length)] }.join
  end

  def env_for(rng)
    env = { 'REQUEST_METHOD' => 'GET', 'PATH_INFO' => "/#{random_text(rng, 6)}", 'QUERY_STRING' => random_text(rng, 10),
            'rack.input' => StringIO.new }
    env['HTTP_USER_AGENT'] = random_text(rng, 6) if rng.rand(2).zero?
    env['HTTP_X_TARGET'] = random_text(rng, 6) if rng.rand(3).zero?
    env['HTTP_COOKIE'] = "s=#{random_text(rng, 6)}" if rng.rand(3).zero?
    env
  end

  def finding_text(finding)
    finding && [finding.class_name, finding.input.name, finding.reason]
  end

  def test_same_finding_as_with_every_input_on_random_requests
    rng = Random.new(20_261_128)
    short = 0
    found = 0
    differ = []
    20_000.times do
      env = env_for(rng)
      path = "/srv/app/#{random_text(rng, 8)}"
      resolved = Sidewatch::PosixPath.normalize(path)
      full = finding_text(PT.detect(path, resolved, Sidewatch::RequestContext.new(env.dup).inputs))
      found += 1 unless full.nil?
      ctx = Sidewatch::RequestContext.new(env.dup)
      inputs = ctx.path_inputs
      short += 1 if inputs.length < Sidewatch::RequestContext.new(env.dup).inputs.length
      got = finding_text(PT.detect(path, resolved, inputs))
      differ << [env, path] if got != full && differ.length < 3
    end
    assert_empty differ, 'path_inputs changed a finding'
    assert_operator short, :>, 1000, 'the short list was taken for some requests'
    assert_operator found, :>, 100, 'the random requests include attacks'
  end

  def test_ordinary_request_gets_only_the_path
    env = { 'PATH_INFO' => '/menu', 'QUERY_STRING' => 'name=espresso&page=2', 'HTTP_USER_AGENT' => 'Mozilla/5.0 (X11)',
            'HTTP_COOKIE' => 'sid=abc', 'rack.input' => StringIO.new }
    assert_equal [['path', '/menu']], Sidewatch::RequestContext.new(env).path_inputs.map { |i| [i.name, i.value] }
  end

  def test_a_query_that_can_move_a_path_gets_every_input
    env = { 'PATH_INFO' => '/menu', 'QUERY_STRING' => 'name=../../etc/passwd', 'rack.input' => StringIO.new }
    names = Sidewatch::RequestContext.new(env).path_inputs.map(&:name)
    assert_includes names, 'query.name'
  end

  def test_a_json_body_gets_every_input
    body = '{"file":"../../etc/passwd"}'
    env = { 'PATH_INFO' => '/upload', 'QUERY_STRING' => '', 'CONTENT_TYPE' => 'application/json', 'rack.input' => StringIO.new(body) }
    names = Sidewatch::RequestContext.new(env).path_inputs.map(&:name)
    assert_includes names, 'body.file'
  end
end
