# frozen_string_literal: true

# name: discourse-canvas-sync
# about: Shows moderators and admins how the forum is kept in step with Canvas (canvas-discourse-sync): registers the relay's webhook and mints the short-lived tokens the relay's status API accepts.
# version: 0.1.0
# authors: canvas-discourse-sync
# url: https://github.com/canvas-discourse-sync/canvas-discourse-sync/tree/main/discourse-plugin
# required_version: 3.3.0

enabled_site_setting :cds_sync_enabled

register_asset "stylesheets/cds-sync.scss"

# Admin > Plugins > discourse-canvas-sync > Status (the front end's cds-sync-status page).
add_admin_route "cds_sync.admin.title", "discourse-canvas-sync", use_new_show_route: true

module ::CanvasDiscourseSync
  PLUGIN_NAME = "discourse-canvas-sync"
end

require_relative "lib/canvas_discourse_sync/engine"

after_initialize do
  # The relay's Discourse connector writes each user's latest sync state here (PUT /u/:username);
  # Discourse drops custom fields that are not registered. Staff see it on user cards.
  register_editable_user_custom_field :cds_sync_state, staff_only: true
  allow_staff_user_custom_field :cds_sync_state

  # Settings the relay's webhook is made of: a change re-runs the (idempotent) job at once; it
  # also runs hourly, so a webhook an admin deleted by hand comes back.
  on(:site_setting_changed) do |name, _old, _new|
    if CanvasDiscourseSync::WebhookSpec::SETTINGS.include?(name.to_sym)
      Jobs.enqueue(:cds_sync_ensure_webhook)
    end
  end
end
