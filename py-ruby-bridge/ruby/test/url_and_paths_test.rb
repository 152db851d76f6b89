# frozen_string_literal: true

require_relative 'test_helper'
require 'sidewatch/whatwg_url'
require 'sidewatch/posix_path'
require 'sidewatch/redact'

# The pieces the detectors lean on, checked against what Node answers for the same input
# (`new URL(x).href`, `path.posix.*`), and redaction.
class UrlAndPathsTest < Minitest::Test
  U = Sidewatch::WhatwgUrl
  P = Sidewatch::PosixPath

  # Each pair: Node 20's `new URL(input).href`.
  HREFS = {
    'http://2852039166/latest/' => 'http://169.254.169.254/latest/',
    'http://0x7f.0.0.1/' => 'http://127.0.0.1/',
    'HTTP://LocalHost:80/a/../b?q=a b#f g' => 'http://localhost/b?q=a%20b#f%20g',
    'http://169.254.169.254\\@example.com/' => 'http://169.254.169.254/@example.com/',
    'http://[0:0:0:0:0:ffff:127.0.0.1]/' => 'http://[::ffff:7f00:1]/',
    'https://user:pass@127.0.0.1:8443/x' => 'https://user:pass@127.0.0.1:8443/x',
    'http://169.254.169.254./latest/' => 'http://169.254.169.254/latest/',
    'http://localhost./' => 'http://localhost./',
    "https://api.example.com/search?q=it's" => 'https://api.example.com/search?q=it%27s'
  }.freeze

  def test_href_matches_node
    HREFS.each { |input, href| assert_equal href, U.parse(input)&.href, input }
  end

  def test_unparseable_urls
    ['http://999.1.1.1.1/', 'http://[::1/', 'mailto:x@y', '/relative', 'http://exa mple.com/'].each { |u| assert_nil U.parse(u), u }
  end

  def test_posix_paths_match_node
    { ['/srv/app/public', '../../../etc/passwd'] => '/etc/passwd', ['/srv/app', 'a/', '../b/'] => '/srv/app/b/' }
      .each { |parts, out| assert_equal out, P.join(*parts) }
    assert_equal '/etc/passwd', P.resolve('/srv/app', '../../etc/passwd')
    assert_equal '/srv/app', P.resolve('/srv/app/')
    assert_equal %w[/srv / . a], [P.dirname('/srv/app'), P.dirname('/x'), P.dirname('x'), P.dirname('a/b/')]
    assert_equal %w[. ./ ../.. /], [P.normalize('a/..'), P.normalize('a/../'), P.normalize('../a/../..'), P.normalize('/../..')]
  end

  def test_redaction
    assert_equal '/login?user=a&password=[redacted]&next=%2F', Sidewatch::Redact.url('/login?user=a&password=x&next=%2F')
    assert_equal 'https://bob:[redacted]@h/x', Sidewatch::Redact.url('https://bob:hunter2@h/x')
    assert_equal '[redacted]', Sidewatch::Redact.value('cookies.session_id', 'abc')
    assert_equal 'abc', Sidewatch::Redact.value('query.name', 'abc')
  end
end
