# frozen_string_literal: true

module ::CanvasDiscourseSync
  # The Discourse webhook the relay needs (Admin > API > Webhooks shows it): where it goes, which
  # events, the secret, and whether an existing one already matches. Plain Ruby, no Rails: the job
  # (app/jobs/scheduled/cds_sync_ensure_webhook.rb) applies it to WebHook records.
  # Event names are WebHookEventType::TYPES (app/models/web_hook_event_type.rb in discourse/discourse);
  # WebHook validates a secret of at least 12 characters and an http(s) payload_url.
  class WebhookSpec
    # What the relay's POST /v1/intake/discourse maps to SyncEvents (issue 11): posts -> forum_post,
    # topics -> content_edit, users -> profile, user badges -> badge. Other events would only be
    # skipped there, so they are not sent.
    EVENT_TYPES = %w[
      post_created
      post_edited
      post_destroyed
      topic_created
      topic_edited
      user_created
      user_updated
      user_badge_granted
    ].freeze
    # WebHook.content_types["application/json"]
    CONTENT_TYPE_JSON = 1
    INTAKE_PATH = "/v1/intake/discourse"
    # The site settings the webhook is made of: a change to any of them re-applies it.
    SETTINGS = %i[cds_sync_enabled cds_sync_relay_url cds_sync_webhook_secret].freeze
    MIN_SECRET_LENGTH = 12

    attr_reader :payload_url, :secret

    # nil when the settings do not describe a webhook yet, with the reason in `problem`.
    def self.from_settings(enabled:, relay_url:, secret:)
      return [nil, "cds_sync_enabled is off"] unless enabled
      return [nil, "cds_sync_relay_url is not set"] if relay_url.to_s.strip.empty?
      if secret.to_s.length < MIN_SECRET_LENGTH
        return [nil, "cds_sync_webhook_secret must be at least #{MIN_SECRET_LENGTH} characters"]
      end
      [new(relay_url: relay_url, secret: secret), nil]
    end

    def initialize(relay_url:, secret:)
      base = relay_url.to_s.strip.sub(%r{/+\z}, "")
      raise ArgumentError, "the relay URL must be an http(s) URL" unless base.match?(%r{\Ahttps?://[^\s/]+})
      @payload_url = "#{base}#{INTAKE_PATH}"
      @secret = secret.to_s
    end

    # The WebHook attributes (app/models/web_hook.rb): JSON bodies, only our events (not a
    # wildcard), certificates verified, active.
    def attributes
      {
        payload_url: payload_url,
        content_type: CONTENT_TYPE_JSON,
        secret: secret,
        wildcard_web_hook: false,
        verify_certificate: true,
        active: true,
      }
    end

    # Whether an existing webhook (its attributes and event type names) already is this one.
    def satisfied_by?(attributes, event_type_names)
      self.attributes.all? { |name, value| attributes[name] == value } &&
        event_type_names.map(&:to_s).sort == EVENT_TYPES.sort
    end

    # Which existing webhook is ours: the one posting to the intake (any base URL, so a changed
    # relay URL updates it instead of leaving the old one behind).
    def self.ours?(payload_url)
      payload_url.to_s.strip.sub(%r{/+\z}, "").end_with?(INTAKE_PATH)
    end
  end
end
