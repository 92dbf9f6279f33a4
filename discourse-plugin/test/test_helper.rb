# frozen_string_literal: true

# The plugin's plain-Ruby classes, tested with minitest under Debian's ruby (no Rails, no gems):
# `pnpm test` runs every test/**/*_test.rb (scripts/test.ts).
require "minitest/autorun"
require "json"

PLUGIN_ROOT = File.expand_path("..", __dir__)

# What plugin.rb gives the classes in Discourse: the top-level module they live in.
module ::CanvasDiscourseSync
end

require_relative "../lib/canvas_discourse_sync/token_minter"
require_relative "../lib/canvas_discourse_sync/webhook_spec"

def base64url_decode(text)
  (text + "=" * ((4 - text.length % 4) % 4)).tr("-_", "+/").unpack1("m")
end
