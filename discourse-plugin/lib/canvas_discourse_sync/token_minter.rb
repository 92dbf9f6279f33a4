# frozen_string_literal: true

require "json"
require "openssl"
require "time"

module ::CanvasDiscourseSync
  # Mints the status token a Discourse user shows the relay (DESIGN.md section 6): a compact JWS
  # (RFC 7515) signed HS256 with the secret both sides share (cds_sync_token_secret here,
  # DISCOURSE_TOKEN_SECRET in the relay, whose verifier is relay/src/http/discourse-token.ts).
  # Plain Ruby, no Rails, so it is tested with minitest; the controller gives it the user's facts.
  class TokenMinter
    # JWS "typ": the relay tells this token from its other bearer tokens by it.
    TYPE = "cds-discourse+jwt"
    # The relay's "aud": a token minted for something else is not accepted there.
    AUDIENCE = "cds-relay"
    # The longest lifetime the relay accepts.
    MAX_LIFETIME_SECONDS = 15 * 60
    ROLES = %w[admin moderator user].freeze

    # Discourse's roles as the relay scopes them: an admin, a site moderator, anyone else.
    def self.role_of(admin:, moderator:)
      return "admin" if admin
      return "moderator" if moderator
      "user"
    end

    # secret: at least 32 characters; lifetime_seconds: 1..MAX_LIFETIME_SECONDS; issuer: the
    # forum's base URL (informational: the relay trusts the secret, not the name).
    def initialize(secret:, lifetime_seconds:, issuer:)
      raise ArgumentError, "the token secret must be at least 32 characters" if secret.to_s.length < 32
      unless lifetime_seconds.is_a?(Integer) && lifetime_seconds.between?(1, MAX_LIFETIME_SECONDS)
        raise ArgumentError, "the token lifetime must be 1..#{MAX_LIFETIME_SECONDS} seconds"
      end
      @secret = secret
      @lifetime = lifetime_seconds
      @issuer = issuer.to_s
    end

    # The claims, in the order they are serialized (the shared test vector depends on it).
    def claims(user_id:, username:, role:, groups:, categories:, now:)
      raise ArgumentError, "user_id must be a positive integer" unless user_id.is_a?(Integer) && user_id.positive?
      raise ArgumentError, "role must be one of #{ROLES.join(", ")}" unless ROLES.include?(role)
      {
        "iss" => @issuer,
        "aud" => AUDIENCE,
        "sub" => user_id.to_s,
        "username" => username.to_s,
        "role" => role,
        "groups" => groups.map(&:to_s).uniq.sort,
        "categories" => categories.map { |id| Integer(id) }.uniq.sort,
        "iat" => now,
        "exp" => now + @lifetime,
      }
    end

    # The signed token; `now` is the Unix time in seconds.
    def mint(now: Time.now.to_i, **facts)
      sign(claims(now: now, **facts))
    end

    # What GET /cds-sync/token.json answers: the token, when it expires, the relay's URL, and the
    # categories the token names (those the user moderates through category group moderation),
    # taken from the same claims so the front end offers a category's panel exactly when the
    # relay will answer it for that category.
    def answer(now:, relay_url:, **facts)
      payload = claims(now: now, **facts)
      {
        "token" => sign(payload),
        "expires_at" => Time.at(payload["exp"]).utc.iso8601,
        "relay_url" => relay_url.to_s,
        "categories" => payload["categories"],
      }
    end

    private

    def sign(payload)
      header = { "alg" => "HS256", "typ" => TYPE }
      signing_input = "#{encode(JSON.generate(header))}.#{encode(JSON.generate(payload))}"
      "#{signing_input}.#{encode(OpenSSL::HMAC.digest("SHA256", @secret, signing_input))}"
    end

    # base64url without padding (RFC 7515 section 2), without the base64 gem (not a default gem
    # in every Ruby).
    def encode(bytes)
      [bytes].pack("m0").tr("+/", "-_").delete("=")
    end
  end
end
