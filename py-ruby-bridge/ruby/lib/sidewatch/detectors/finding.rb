# frozen_string_literal: true

module Sidewatch
  module Detectors
    # What a detector reports: which request input reached which sink and how it changed the
    # sink's meaning. Detectors are pure functions of (sink argument, request inputs); they never
    # raise by themselves and never block: the caller decides whether to report or stop the call.
    # class_name: "shell_injection" | "command_injection" | "path_traversal" | "ssrf"
    Finding = Struct.new(:class_name, :input, :target, :reason)

    # One value an attacker controls, flattened: query.name, body.user.email, headers.x-forwarded-for.
    # `decoded` caches the forms of the value the detectors look for (DecodedValues.of).
    Input = Struct.new(:name, :value, :source, :decoded)
  end
end
