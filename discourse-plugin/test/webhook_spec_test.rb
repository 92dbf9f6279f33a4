# frozen_string_literal: true

require_relative "test_helper"

class WebhookSpecTest < Minitest::Test
  Spec = CanvasDiscourseSync::WebhookSpec
  SECRET = "webhook-secret-0123"

  def spec(url = "https://sync.school.example.edu")
    Spec.new(relay_url: url, secret: SECRET)
  end

  def test_posts_json_to_the_relay_intake_signed_with_the_secret
    attributes = spec("https://sync.school.example.edu/").attributes
    assert_equal "https://sync.school.example.edu/v1/intake/discourse", attributes[:payload_url]
    assert_equal 1, attributes[:content_type], "WebHook.content_types['application/json']"
    assert_equal SECRET, attributes[:secret]
    assert_equal false, attributes[:wildcard_web_hook]
    assert_equal true, attributes[:verify_certificate]
    assert_equal true, attributes[:active]
  end

  def test_keeps_a_path_prefix_of_the_relay_url
    assert_equal "http://relay.internal:8080/sync/v1/intake/discourse",
                 spec("http://relay.internal:8080/sync").payload_url
  end

  def test_subscribes_to_exactly_the_events_the_relay_maps
    assert_equal %w[
                   post_created
                   post_destroyed
                   post_edited
                   topic_created
                   topic_edited
                   user_badge_granted
                   user_created
                   user_updated
                 ],
                 Spec::EVENT_TYPES.sort
  end

  def test_an_existing_matching_webhook_needs_nothing
    assert spec.satisfied_by?(spec.attributes, Spec::EVENT_TYPES.reverse)
  end

  def test_a_changed_secret_url_event_or_inactive_hook_needs_an_update
    current = spec.attributes
    refute spec.satisfied_by?(current.merge(secret: "old-secret-abcdef"), Spec::EVENT_TYPES)
    refute spec.satisfied_by?(current.merge(payload_url: "https://old.example.edu/v1/intake/discourse"), Spec::EVENT_TYPES)
    refute spec.satisfied_by?(current.merge(active: false), Spec::EVENT_TYPES)
    refute spec.satisfied_by?(current, Spec::EVENT_TYPES - ["user_badge_granted"])
    refute spec.satisfied_by?(current, Spec::EVENT_TYPES + ["post_recovered"])
  end

  def test_recognises_its_own_webhook_by_the_intake_path
    assert Spec.ours?("https://old.example.edu/v1/intake/discourse")
    assert Spec.ours?("https://old.example.edu/v1/intake/discourse/ ")
    refute Spec.ours?("https://chat.example.edu/hooks/discourse")
    refute Spec.ours?(nil)
  end

  def test_from_settings_says_why_there_is_no_webhook_yet
    assert_equal [nil, "cds_sync_enabled is off"],
                 Spec.from_settings(enabled: false, relay_url: "https://r.example", secret: SECRET)
    assert_equal [nil, "cds_sync_relay_url is not set"],
                 Spec.from_settings(enabled: true, relay_url: " ", secret: SECRET)
    _, problem = Spec.from_settings(enabled: true, relay_url: "https://r.example", secret: "short")
    assert_match(/at least 12 characters/, problem)
    made, problem = Spec.from_settings(enabled: true, relay_url: "https://r.example", secret: SECRET)
    assert_nil problem
    assert_equal "https://r.example/v1/intake/discourse", made.payload_url
  end

  def test_refuses_a_relay_url_that_is_not_http
    assert_raises(ArgumentError) { Spec.new(relay_url: "ftp://relay.example", secret: SECRET) }
  end
end
