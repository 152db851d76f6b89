# frozen_string_literal: true

module Sidewatch
  VERSION = '0.1.0'
  SDK_NAME = 'sidewatch-ruby'
  # The `source` of every event this bridge sends (the agent's evt.source).
  SOURCE = 'ruby'
end
