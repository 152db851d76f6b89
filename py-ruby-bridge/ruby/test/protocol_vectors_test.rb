# frozen_string_literal: true

require_relative 'test_helper'
require 'json'
require 'sidewatch/proto'

# Every case of packages/proto/vectors/frames.json, as its `description` says: the stream cut at
# `chunks`, each payload decoded and checked (events one by one), decoding going on after a
# non-fatal error and stopping at a fatal one; valid cases re-encoded byte for byte unless gzip
# or noncanonical.
class ProtocolVectorsTest < Minitest::Test
  P = Sidewatch::Proto
  VECTORS = JSON.parse(File.read(RepoPaths::VECTORS))

  # What a receiver makes of the case's bytes.
  def self.receive(kase)
    bytes = [kase['hex']].pack('H*')
    max = kase['max_frame_size'] || P::Frame::DEFAULT_MAX_FRAME_SIZE
    decoder = P::FrameDecoder.new(max_frame_size: max)
    out = { decoded: [], errors: [], accepted: nil }
    begin
      chunks(bytes, kase['chunks']).each do |chunk|
        decoder.push(chunk) { |frame| take(frame, max, out) }
      end
      decoder.finish
    rescue Sidewatch::ProtocolError => e
      out[:errors] << e
    end
    out
  end

  def self.take(frame, max, out)
    message = P::Codec.decode(frame, max_frame_size: max)
    P::MessageCheck.check(message)
    if message['type'] == 'events'
      issues = message['events'].each_with_index.filter_map do |event, i|
        issue = P::EventValidator.validate(event)
        issue && Sidewatch::ProtocolError.new(issue.code, issue.message, "/events/#{i}#{issue.field}")
      end
      out[:accepted] = message['events'].length - issues.length
      unless issues.empty?
        out[:errors].concat(issues)
        return
      end
    end
    out[:decoded] << message
  rescue Sidewatch::ProtocolError => e
    raise if e.fatal?

    out[:errors] << e
  end

  def self.chunks(bytes, spec)
    return [bytes] if spec.nil?
    return bytes.bytes.map(&:chr) if spec == 'bytewise'

    cuts = [0, *spec, bytes.bytesize]
    cuts.each_cons(2).map { |a, b| bytes.byteslice(a, b - a) }
  end

  VECTORS['cases'].each do |kase|
    define_method(format('test_vector_%03d', kase['id'])) do
      out = self.class.receive(kase)
      label = "case #{kase['id']}: #{kase['comment']}"
      assert_equal kase['decoded'], out[:decoded], label
      if kase['result'] == 'valid'
        assert_empty out[:errors].map(&:message), label
        unless (kase['flags'] & %w[gzip noncanonical]).any?
          encoded = kase['decoded'].map { |m| P::Codec.encode(m) }.join
          assert_equal kase['hex'], encoded.unpack1('H*'), "#{label}: re-encoding"
        end
      else
        first = out[:errors].first
        refute_nil first, "#{label}: expected #{kase['error']}"
        assert_equal kase['error'], first.code, label
        assert_equal kase['field'], first.field, "#{label}: field" if kase.key?('field')
        assert_equal kase['accepted'], out[:accepted], "#{label}: accepted" if kase.key?('accepted')
      end
    end
  end

  def test_every_case_is_run
    assert_equal VECTORS['number_of_tests'], VECTORS['cases'].length
    assert_operator VECTORS['cases'].length, :>=, 90
  end

  def test_decoder_refuses_an_oversized_frame_before_buffering_its_payload
    decoder = P::FrameDecoder.new(max_frame_size: 16)
    error = assert_raises(Sidewatch::ProtocolError) { decoder.push([0, 17].pack('CN')) { flunk 'no frame expected' } }
    assert_equal 'SW_ERR_FRAME_TOO_LARGE', error.code
    assert_equal 0, decoder.buffered_bytes
    assert_raises(Sidewatch::ProtocolError) { decoder.push('x') { nil } }
  end

  def test_shipped_schema_is_identical_to_the_repository_one
    shipped = File.read(P::EventValidator::SCHEMA_PATH)
    assert_equal File.read(RepoPaths::SCHEMA), shipped, 'lib/sidewatch/proto/event-schema.json is stale: copy packages/proto/event-schema.json'
  end
end
