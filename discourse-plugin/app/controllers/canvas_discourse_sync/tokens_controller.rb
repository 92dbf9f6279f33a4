# frozen_string_literal: true

module ::CanvasDiscourseSync
  # GET /cds-sync/token.json (logged-in users): a status token for the current user, which the
  # relay's status API accepts for what their role may see (relay/src/status/scope.ts), and the
  # categories it names (those the user moderates through category group moderation).
  class TokensController < ::ApplicationController
    requires_plugin PLUGIN_NAME
    requires_login

    def show
      secret = SiteSetting.cds_sync_token_secret
      if secret.length < 32
        return render_json_error(I18n.t("cds_sync.errors.not_configured"), status: 503)
      end

      minter =
        TokenMinter.new(
          secret: secret,
          lifetime_seconds: SiteSetting.cds_sync_token_lifetime_minutes * 60,
          issuer: Discourse.base_url,
        )
      response.headers["Cache-Control"] = "no-store"
      # {token, expires_at, relay_url, categories}: the front end shows a non-staff user the panel
      # of the categories listed (TokenMinter#answer).
      render json:
               minter.answer(
                 now: Time.now.to_i,
                 relay_url: SiteSetting.cds_sync_relay_url,
                 **facts_of(current_user),
               )
    end

    private

    def facts_of(user)
      {
        user_id: user.id,
        username: user.username,
        role: TokenMinter.role_of(admin: user.admin?, moderator: user.moderator?),
        groups: user.groups.pluck(:name),
        categories: moderated_category_ids(user),
      }
    end

    # Categories the user moderates through category group moderation (Guardian's
    # category_group_moderator_scope in discourse/discourse lib/guardian.rb).
    def moderated_category_ids(user)
      return [] if !SiteSetting.enable_category_group_moderation
      Category
        .joins(:category_moderation_groups)
        .joins("INNER JOIN group_users ON group_users.group_id = category_moderation_groups.group_id")
        .where("group_users.user_id": user.id)
        .distinct
        .pluck(:id)
    end
  end
end
