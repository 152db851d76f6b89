# frozen_string_literal: true

require_relative 'test_helper'
require_relative 'support/corpus'
require 'sidewatch/detectors'

# The node-asm corpus through the Ruby detectors: every attack found with its class and input,
# no benign case found; rates per class printed at the end.
class CorpusDetectorsTest < Minitest::Test
  D = Sidewatch::Detectors
  TALLY = Hash.new { |h, k| h[k] = [0, 0, 0, 0] } # hits, attacks, false positives, benign

  def self.run_case(kase)
    v = Corpus.app_value(kase)
    input = D::Input.new(kase['input']['name'], kase['input']['value'], kase['input']['source'])
    inputs = Corpus::DECOYS.map { |n, val, s| D::Input.new(n, val, s) } + [input]
    b = kase['build']
    case kase['sink']
    when 'exec' then D::ShellInjection.detect(Corpus.fill(b['template'], v), inputs)
    when 'execFile' then D::CommandInjection.detect(Corpus.fill(b['file'], v), (b['args'] || []).map { |a| Corpus.fill(a, v) }, inputs)
    when 'fs'
      path = Corpus.fs_path(b, v)
      D::PathTraversal.detect(path, Sidewatch::PosixPath.resolve(Corpus::CWD, path), inputs, b['op'] || 'readFile')
    when 'http' then D::Ssrf.detect(Sidewatch::WhatwgUrl.parse(Corpus.fill(b['url'], v)).href, inputs)
    end
  end

  Corpus.load('attacks').each do |kase|
    define_method("test_attack_#{kase['id']}") do
      finding = self.class.run_case(kase)
      TALLY[kase['class']][1] += 1
      ok = !finding.nil? && finding.class_name == kase['class'] && finding.input.name == kase['input']['name']
      TALLY[kase['class']][0] += 1 if ok
      assert ok, "#{kase['id']}: #{kase['comment']} (found #{finding.to_h.inspect})"
    end
  end

  Corpus.load('benign').each do |kase|
    define_method("test_benign_#{kase['id']}") do
      finding = self.class.run_case(kase)
      TALLY[kase['class']][3] += 1
      TALLY[kase['class']][2] += 1 unless finding.nil?
      assert_nil finding, "#{kase['id']}: #{kase['comment']}"
    end
  end

  def test_corpus_size
    assert_operator Corpus.load('attacks').length, :>=, 120
    assert_operator Corpus.load('benign').length, :>=, 120
  end

  Minitest.after_run do
    next if TALLY.empty?

    puts "\n# corpus through the Ruby detectors"
    puts '# class              attacks  detected  benign  false positives'
    Corpus::CLASSES.each do |k|
      hit, total, fp, clean = TALLY[k]
      pct = ->(n, d) { d.zero? ? '0%' : format('%.1f%%', 100.0 * n / d) }
      puts format('# %-18s %7d  %8s  %6d  %15s', k, total, pct.call(hit, total), clean, pct.call(fp, clean))
    end
  end
end
