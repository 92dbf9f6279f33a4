# frozen_string_literal: true

require_relative "test_helper"
require "openssl"

class TokenMinterTest < Minitest::Test
  VECTOR = JSON.parse(File.read(File.join(PLUGIN_ROOT, "test/fixtures/status-token-vector.json")))
  SECRET = VECTOR.fetch("secret")

  def minter(lifetime: 600, secret: SECRET)
    CanvasDiscourseSync::TokenMinter.new(
      secret: secret,
      lifetime_seconds: lifetime,
      issuer: VECTOR.fetch("issuer"),
    )
  end

  def facts(**overrides)
    VECTOR.fetch("input").transform_keys(&:to_sym).merge(overrides)
  end

  def test_mints_the_shared_vector_byte_for_byte
    token = minter.mint(now: VECTOR.fetch("now"), **facts)
    assert_equal VECTOR.fetch("token"), token
    header, payload, = token.split(".")
    assert_equal VECTOR.fetch("headerJson"), base64url_decode(header)
    assert_equal VECTOR.fetch("payloadJson"), base64url_decode(payload)
  end

  def test_signs_with_hmac_sha256_of_the_secret_over_header_and_payload
    token = minter.mint(now: 1_788_249_600, **facts)
    header, payload, signature = token.split(".")
    expected = OpenSSL::HMAC.digest("SHA256", SECRET, "#{header}.#{payload}")
    assert_equal expected, base64url_decode(signature)
    refute_match(/[=+\/]/, token, "base64url without padding")
    other = minter(secret: "another-secret-that-is-long-enough-0123456789").mint(now: 1_788_249_600, **facts)
    refute_equal signature, other.split(".").last
  end

  def test_claims_name_the_user_their_role_groups_and_moderated_categories
    claims = JSON.parse(base64url_decode(minter.mint(now: 1_000, **facts).split(".")[1]))
    assert_equal "1042", claims["sub"]
    assert_equal "mod_mia", claims["username"]
    assert_equal "moderator", claims["role"]
    assert_equal %w[course-565-tas moderators staff trust_level_0], claims["groups"]
    assert_equal [7, 12], claims["categories"]
    assert_equal "cds-relay", claims["aud"]
    assert_equal "https://forum.school.example.edu", claims["iss"]
  end

  def test_expires_after_the_configured_lifetime
    claims = JSON.parse(base64url_decode(minter(lifetime: 900).mint(now: 5_000, **facts).split(".")[1]))
    assert_equal 5_000, claims["iat"]
    assert_equal 5_900, claims["exp"]
  end

  def test_refuses_a_lifetime_beyond_fifteen_minutes_or_a_short_secret
    error = assert_raises(ArgumentError) { minter(lifetime: 901) }
    assert_match(/1\.\.900 seconds/, error.message)
    assert_raises(ArgumentError) { minter(lifetime: 0) }
    error = assert_raises(ArgumentError) { minter(secret: "too-short") }
    assert_match(/at least 32 characters/, error.message)
  end

  def test_refuses_an_unknown_role_or_a_user_id_that_is_not_positive
    assert_raises(ArgumentError) { minter.mint(now: 1, **facts(role: "owner")) }
    error = assert_raises(ArgumentError) { minter.mint(now: 1, **facts(user_id: -1)) }
    assert_match(/positive integer/, error.message)
  end

  def test_role_of_ranks_admin_over_moderator_over_user
    role_of = CanvasDiscourseSync::TokenMinter.method(:role_of)
    assert_equal "admin", role_of.call(admin: true, moderator: true)
    assert_equal "moderator", role_of.call(admin: false, moderator: true)
    assert_equal "user", role_of.call(admin: false, moderator: false)
  end

  def test_answer_lists_the_categories_the_token_names_for_the_front_end
    answer =
      minter.answer(now: VECTOR.fetch("now"), relay_url: "https://sync.school.example.edu", **facts)
    assert_equal %w[token expires_at relay_url categories], answer.keys
    assert_equal VECTOR.fetch("token"), answer["token"], "the same token mint makes"
    assert_equal [7, 12], answer["categories"], "sorted and unique, as in the token"
    assert_equal JSON.parse(VECTOR.fetch("payloadJson"))["categories"], answer["categories"]
    assert_equal "2026-09-01T08:10:00Z", answer["expires_at"], "iat + lifetime, in UTC"
    assert_equal "https://sync.school.example.edu", answer["relay_url"]
  end

  def test_answer_of_a_user_who_moderates_no_category_lists_none
    answer = minter.answer(now: 1_000, relay_url: nil, **facts(role: "user", categories: []))
    assert_equal [], answer["categories"]
    assert_equal [], JSON.parse(base64url_decode(answer["token"].split(".")[1]))["categories"]
    assert_equal "", answer["relay_url"]
    answer = minter.answer(now: 1_000, relay_url: nil, **facts(role: "user", categories: ["5", 5, 3]))
    assert_equal [3, 5], answer["categories"]
    assert_equal [3, 5], JSON.parse(base64url_decode(answer["token"].split(".")[1]))["categories"]
  end

  def test_keeps_unicode_usernames_as_utf8_json
    payload = minter.mint(now: 1, **facts(username: "zoë")).split(".")[1]
    assert_equal "zoë", JSON.parse(base64url_decode(payload).force_encoding("UTF-8"))["username"]
  end
end
