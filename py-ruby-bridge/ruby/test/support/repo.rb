# frozen_string_literal: true

# Where the tests find the repository files they compare against (the gem itself never reads them).
module RepoPaths
  ROOT = File.expand_path('../../../..', __dir__)
  BRIDGE = File.expand_path('../..', __dir__)
  LIB = File.join(BRIDGE, 'lib')
  CORPUS = File.join(ROOT, 'packages', 'node-asm', 'test', 'corpus')
  VECTORS = File.join(ROOT, 'packages', 'proto', 'vectors', 'frames.json')
  SCHEMA = File.join(ROOT, 'packages', 'proto', 'event-schema.json')
  AGENT_BIN = File.join(ROOT, 'packages', 'agent', 'bin', 'sidewatch-agent.js')
end
