# frozen_string_literal: true

require 'json'
require 'pathname'
require 'uri'
require_relative 'repo'
require 'sidewatch/posix_path'

# The node-asm detector corpus, with each case's sink argument built the way a Ruby app would
# build it (the Ruby equivalent of each Node-only API in the case's `build`):
#   path.join(base, v)         -> Pathname(File.join(base, v)).cleanpath (normalises `..` away)
#   path.resolve(base, v)      -> File.expand_path(v, base)
#   fileURLToPath(new URL(v))  -> URI(v).path, percent-decoded
#   new URL(u).href            -> Sidewatch::WhatwgUrl.parse(u).href (the detector's own reader)
#   decodeURIComponent / encodeURIComponent -> their exact Ruby equivalents below
module Corpus
  CLASSES = %w[shell_injection command_injection path_traversal ssrf].freeze
  CWD = '/srv/app'
  DECOYS = [%w[headers.accept */* headers], %w[query.page 1 query]].freeze

  module_function

  def load(name)
    JSON.parse(File.read(File.join(RepoPaths::CORPUS, "#{name}.json")))['cases']
  end

  def encode_uri_component(value)
    value.b.gsub(/[^A-Za-z0-9\-_.!~*'()]/n) { |c| format('%%%02X', c.ord) }.force_encoding(Encoding::UTF_8)
  end

  def decode_uri_component(value)
    value.b.gsub(/%[0-9A-Fa-f]{2}/) { |m| m[1, 2].hex.chr }.force_encoding(Encoding::UTF_8)
  end

  # The value as the app holds it when it builds the sink argument.
  def app_value(kase)
    v = kase['input']['value']
    b = kase['build']
    v = decode_uri_component(v) if b['decode']
    v = encode_uri_component(v) if b['encode']
    v = "'#{v.gsub("'", "'\\\\''")}'" if b['quote']
    v
  end

  def fill(template, value)
    template.gsub('{}') { value }
  end

  def fs_path(build, v)
    return build['path_override'] if build['path_override']

    base = build['base'] || CWD
    # Ruby refuses a NUL byte in a path (File.join and File.open raise ArgumentError): the
    # detector is still judged on the joined string, with the same normalisation.
    return Sidewatch::PosixPath.join(base, v) if build['join'] && v.include?("\0")
    return Pathname.new(File.join(base, v)).cleanpath.to_s if build['join']
    return File.expand_path(v, base) if build['resolve']
    return base + v if build['concat']
    return decode_uri_component(URI(v).path) if build['fileUrl']
    return v.sub(/\A~/, '/root') if build['home']

    v
  end

  # The Ruby call the app makes for an fs case's op (readFile by default).
  FS_OPS = { 'readFile' => 'File.read', 'writeFile' => 'File.write', 'unlink' => 'File.unlink', 'readdir' => 'Dir.children' }.freeze
end
