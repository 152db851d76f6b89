# frozen_string_literal: true

module Sidewatch
  # One hooked call, as the hooks describe it to the detectors and the reporter. The same object
  # goes through judging (before the call) and reporting (after it).
  module Calls
    # A child process. method: the Ruby API (system, spawn, exec, `, IO.popen, Open3.capture2...);
    # file/args: what runs (with a shell: /bin/sh and ['-c', command]); command_line: the shell's
    # string when shell, else file and args joined by spaces.
    Exec = Struct.new(:method, :file, :args, :shell, :command_line, :cwd, :sync, :pid, :error, :blocked, :attack,
                      keyword_init: true)

    # A file-system call. op: node-asm's op name (readFile, writeFile, open, unlink, readdir, ...)
    # so the agent's rules match Ruby apps too; sink: the Ruby method (File.read).
    Fs = Struct.new(:op, :sink, :path, :resolved, :dest, :flags, :error, :blocked, :attack)

    # An outbound HTTP call: url as the app wrote it when known, else built from the connection.
    Http = Struct.new(:method, :url, :host, :port, :status, :error, :duration_ms, :local, :remote,
                      :new_connection, :blocked, :attack, keyword_init: true)
  end
end
