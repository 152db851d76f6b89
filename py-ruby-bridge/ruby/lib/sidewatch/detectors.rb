# frozen_string_literal: true

# The attack detectors: pure functions of a sink argument and the current request's inputs,
# ported from node-asm (packages/node-asm/src/detectors) with the same decisions.
require 'json'
require_relative 'detectors/finding'
require_relative 'detectors/shell_injection'
require_relative 'detectors/command_injection'
require_relative 'detectors/path_traversal'
require_relative 'detectors/sensitive_paths'
require_relative 'detectors/ssrf'
require_relative 'detectors/ip_address'
require_relative 'detectors/shell_binary'
