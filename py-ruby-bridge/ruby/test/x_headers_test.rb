# frozen_string_literal: true

require_relative 'test_helper'
require 'sidewatch/x_headers'

# XHeaders keeps its answer per env key list: a request with the same keys gets the same X-*
# keys, one with other keys (or the same keys in another order) its own.
class XHeadersTest < Minitest::Test
  def env(*keys)
    keys.to_h { |k| [k, 'v'] }
  end

  def test_the_x_headers_of_each_key_list_secret_ones_left_out
    plain = env('REQUEST_METHOD', 'PATH_INFO', 'HTTP_USER_AGENT')
    forwarded = env('REQUEST_METHOD', 'PATH_INFO', 'HTTP_X_FORWARDED_FOR', 'HTTP_X_API_KEY', 'HTTP_X_FILE')
    reordered = env('HTTP_X_A', 'REQUEST_METHOD')
    3.times do
      assert_empty Sidewatch::XHeaders.of(plain)
      assert_equal %w[HTTP_X_FORWARDED_FOR HTTP_X_FILE], Sidewatch::XHeaders.of(forwarded)
      assert_equal %w[HTTP_X_A], Sidewatch::XHeaders.of(reordered)
      assert_equal %w[HTTP_X_B], Sidewatch::XHeaders.of(env('REQUEST_METHOD', 'HTTP_X_B'))
    end
    20.times { |i| assert_equal ["HTTP_X_N#{i}"], Sidewatch::XHeaders.of(env('PATH_INFO', "HTTP_X_N#{i}")) }
    assert_equal %w[HTTP_X_FORWARDED_FOR HTTP_X_FILE], Sidewatch::XHeaders.of(forwarded), 'found again once forgotten'
  end
end
