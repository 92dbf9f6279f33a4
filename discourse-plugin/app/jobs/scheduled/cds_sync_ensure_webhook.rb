# frozen_string_literal: true

module ::Jobs
  # Makes sure the Discourse webhook to the relay exists as CanvasDiscourseSync::WebhookSpec says
  # (created once, updated when a setting changed, left alone when it matches). Runs hourly and
  # whenever one of WebhookSpec::SETTINGS changes; re-reads the settings itself, as a queued job
  # may run after they changed again.
  class CdsSyncEnsureWebhook < ::Jobs::Scheduled
    every 1.hour

    def execute(_args)
      spec, problem =
        CanvasDiscourseSync::WebhookSpec.from_settings(
          enabled: SiteSetting.cds_sync_enabled,
          relay_url: SiteSetting.cds_sync_relay_url,
          secret: SiteSetting.cds_sync_webhook_secret,
        )
      hook = WebHook.all.to_a.find { |h| CanvasDiscourseSync::WebhookSpec.ours?(h.payload_url) }
      if spec.nil?
        # Turning the plugin off stops the deliveries; the record stays for when it is back on.
        hook&.update!(active: false) if !SiteSetting.cds_sync_enabled && hook&.active
        Rails.logger.info("[discourse-canvas-sync] webhook not set up: #{problem}") if SiteSetting.cds_sync_enabled
        return
      end
      names = hook ? hook.web_hook_event_types.map(&:name) : []
      return if hook && spec.satisfied_by?(hook.attributes.symbolize_keys, names)

      hook ||= WebHook.new
      hook.assign_attributes(spec.attributes)
      hook.web_hook_event_types =
        WebHookEventType.where(name: CanvasDiscourseSync::WebhookSpec::EVENT_TYPES).to_a
      hook.save!
    end
  end
end
