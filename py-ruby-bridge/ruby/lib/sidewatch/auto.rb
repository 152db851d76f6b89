# frozen_string_literal: true

# `ruby -rsidewatch/auto app.rb` (or RUBYOPT=-rsidewatch/auto): starts sidewatch before the app
# runs, configured by the SIDEWATCH_* environment variables.
require_relative '../sidewatch'

Sidewatch.start
