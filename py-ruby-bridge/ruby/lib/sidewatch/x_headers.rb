# frozen_string_literal: true

module Sidewatch
  # The X-* header keys of a Rack env, the secret ones left out. Finding them means matching every
  # env key (~20-40) against a regexp, the costliest step of judging a request's file call; but a
  # server gives an app's requests the same env keys in the same order, so the answer for the last
  # few key lists is kept and a request whose keys equal one of them (Array#==: a string compare
  # per key, several times cheaper) reuses it.
  module XHeaders
    PATTERN = /\AHTTP_X_/.freeze
    SECRET = %w[HTTP_X_API_KEY HTTP_X_AUTH_TOKEN].freeze
    KEEP = 8
    # [keys, x_keys] pairs, newest first; replaced whole (one assignment), never changed in place.
    @known = [].freeze

    def self.of(env)
      keys = env.keys
      known = @known
      known.each { |seen, found| return found if seen == keys }

      found = keys.grep(PATTERN).reject { |key| SECRET.include?(key) }.freeze
      @known = [[keys.freeze, found].freeze, *known.first(KEEP - 1)].freeze
      found
    end
  end
end
