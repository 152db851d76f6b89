# frozen_string_literal: true

# Runs inside `unshare --net --mount` (started by corpus_app_test.rb): brings loopback up in the
# new network namespace, starts the corpus app there in block mode reporting to the agent's
# unix socket, sends every case over HTTP, and writes one JSON line per case to ARGV[1].
require 'json'
require 'uri'
require 'tmpdir'
require_relative 'corpus'
require_relative 'app_process'

agent_socket, results_path, work = ARGV
empty_path = File.join(work, 'empty-path')
FileUtils.mkdir_p(empty_path)
app = AppProcess.new(File.expand_path('../apps/corpus_app.rb', __dir__), dir: work,
                     env: { 'SIDEWATCH_AGENT' => "unix:#{agent_socket}", 'SIDEWATCH_TOKEN' => 'rb-token', 'SIDEWATCH_MODE' => 'block',
                            'SIDEWATCH_SERVICE' => 'rb-corpus', 'CORPUS_EMPTY_PATH' => empty_path })

def request_for(kase)
  name = kase['input']['name'].split('.', 2).last
  value = kase['input']['value']
  query = { 'case' => kase['id'] }
  headers = { 'Corpus-Case' => kase['id'] }
  path = '/run'
  body = nil
  case kase['input']['source']
  when 'query' then query[name] = value
  when 'params' then path = "/p/#{name}/#{URI.encode_www_form_component(value).gsub('+', '%20')}"
  when 'headers' then headers[name] = value
  when 'cookies' then headers['Cookie'] = "#{name}=#{Corpus.encode_uri_component(value)}"
  when 'body' then body = JSON.generate(name => value)
  end
  [path, query, headers, body]
end

File.open(results_path, 'w') do |out|
  (Corpus.load('attacks').map { |c| [c, true] } + Corpus.load('benign').map { |c| [c, false] }).each do |kase, attack|
    path, query, headers, body = request_for(kase)
    full = "#{path}?#{URI.encode_www_form(query)}"
    response = Net::HTTP.start('127.0.0.1', app.port, read_timeout: 30) do |http|
      body.nil? ? http.get(full, headers) : http.post(full, body, headers.merge('content-type' => 'application/json'))
    end
    parsed = JSON.parse(response.body) rescue {} # rubocop:disable Style/RescueModifier
    out.puts JSON.generate('id' => kase['id'], 'attack' => attack, 'status' => response.code.to_i, 'response' => parsed)
  end
end
app.stop
