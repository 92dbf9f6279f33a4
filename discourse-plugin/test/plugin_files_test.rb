# frozen_string_literal: true

require_relative "test_helper"
require "yaml"

# What Discourse reads from the plugin's files without running it: the metadata header, the
# settings and their descriptions, and Ruby that at least compiles (the Rails-bound files cannot
# run here, but a syntax error in them would stop a forum's boot).
class PluginFilesTest < Minitest::Test
  def read(path)
    File.read(File.join(PLUGIN_ROOT, path))
  end

  def settings
    YAML.safe_load(read("config/settings.yml")).fetch("canvas_discourse_sync")
  end

  def test_every_ruby_file_compiles
    files = Dir[File.join(PLUGIN_ROOT, "**/*.rb")].reject { |f| f.include?("/node_modules/") }
    assert_operator files.length, :>=, 7
    files.each { |file| RubyVM::InstructionSequence.compile_file(file) }
  end

  def test_plugin_rb_has_the_metadata_header_discourse_reads
    header = read("plugin.rb").lines.take_while { |line| line.start_with?("#") || line.strip.empty? }
    fields = header.filter_map { |line| line[/\A# (\w+):/, 1] } - ["frozen_string_literal"]
    assert_equal %w[name about version authors url required_version], fields
    assert_includes read("plugin.rb"), "enabled_site_setting :cds_sync_enabled"
  end

  def test_the_sync_state_field_the_relay_writes_is_registered_for_staff
    plugin = read("plugin.rb")
    assert_includes plugin, "register_editable_user_custom_field :cds_sync_state, staff_only: true"
    assert_includes plugin, "allow_staff_user_custom_field :cds_sync_state"
  end

  def test_the_front_end_assets_and_admin_page_are_registered
    plugin = read("plugin.rb")
    stylesheet = plugin[/register_asset "([^"]+)"/, 1]
    assert File.exist?(File.join(PLUGIN_ROOT, "assets", stylesheet)), "#{stylesheet} exists"
    label = plugin[/add_admin_route "([^"]+)"/, 1]
    client = YAML.safe_load(read("config/locales/client.en.yml"))
    assert client.dig("en", "js", *label.split(".")), "the admin route's label #{label} is translated"
  end

  def test_settings_are_the_documented_ones_with_secrets_hidden
    assert_equal %w[
                   cds_sync_enabled
                   cds_sync_relay_url
                   cds_sync_webhook_secret
                   cds_sync_token_secret
                   cds_sync_token_lifetime_minutes
                 ],
                 settings.keys
    assert_equal true, settings.dig("cds_sync_webhook_secret", "secret")
    assert_equal true, settings.dig("cds_sync_token_secret", "secret")
    assert_equal 32, settings.dig("cds_sync_token_secret", "min")
    assert_equal CanvasDiscourseSync::WebhookSpec::MIN_SECRET_LENGTH,
                 settings.dig("cds_sync_webhook_secret", "min")
    assert_equal CanvasDiscourseSync::TokenMinter::MAX_LIFETIME_SECONDS / 60,
                 settings.dig("cds_sync_token_lifetime_minutes", "max")
    refute settings.dig("cds_sync_token_secret", "client"), "a secret never goes to the browser"
  end

  def test_relay_url_setting_accepts_what_the_webhook_spec_accepts
    regex = Regexp.new(settings.dig("cds_sync_relay_url", "regex"))
    assert_match regex, "https://sync.school.example.edu"
    assert_match regex, "http://relay.internal:8080/sync"
    refute_match regex, "sync.school.example.edu"
  end

  def test_every_setting_has_a_description
    descriptions = YAML.safe_load(read("config/locales/server.en.yml")).dig("en", "site_settings")
    assert_equal settings.keys.sort, descriptions.keys.sort
    assert descriptions.values.all? { |text| text.is_a?(String) && text.length > 20 }
    category = YAML.safe_load(read("config/locales/client.en.yml"))
    assert category.dig("en", "admin_js", "admin", "site_settings", "categories", "canvas_discourse_sync")
  end

  def test_the_webhook_job_reacts_to_exactly_the_webhook_settings
    assert (CanvasDiscourseSync::WebhookSpec::SETTINGS.map(&:to_s) - settings.keys).empty?
    assert_includes read("plugin.rb"), "Jobs.enqueue(:cds_sync_ensure_webhook)"
    assert_includes read("app/jobs/scheduled/cds_sync_ensure_webhook.rb"), "class CdsSyncEnsureWebhook"
  end

  def test_the_token_endpoint_is_mounted_under_cds_sync
    routes = read("config/routes.rb")
    assert_includes routes, %(get "/token" => "tokens#show")
    assert_includes routes, %(at: "cds-sync")
    controller = read("app/controllers/canvas_discourse_sync/tokens_controller.rb")
    assert_includes controller, "requires_login"
    # The answer (categories included) is TokenMinter#answer's, tested above without Rails.
    assert_match(/render json:\s+minter\.answer\(/, controller)
  end
end
