# The Sidekiq application of sidekiq_app_test.py: the server under test is PYLON_APP_URL. Each
# job records its result in a list the test reads.
require "sidekiq"

Sidekiq.configure_server { |config| config.redis = { url: ENV.fetch("PYLON_APP_URL") } }
Sidekiq.configure_client { |config| config.redis = { url: ENV.fetch("PYLON_APP_URL") } }

class SquareJob
  include Sidekiq::Worker
  sidekiq_options retry: false

  def perform(n)
    Sidekiq.redis { |conn| conn.rpush("pylon:results", "#{n}:#{n * n}") }
  end
end

# Run as a script: enqueue the jobs (one of them scheduled in the past, so that the scheduler's
# sorted set moves it to the queue too).
if $PROGRAM_NAME == __FILE__
  count = Integer(ARGV.fetch(0))
  (0...count - 1).each { |i| SquareJob.perform_async(i) }
  SquareJob.perform_at(Time.now - 1, count - 1)
end
