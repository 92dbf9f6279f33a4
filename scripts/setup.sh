#!/usr/bin/env bash
# Installs what the repository needs on a fresh machine, idempotently: the pinned pnpm (from the
# npm registry; `corepack enable` fails on our machines) and the workspace's dependencies.
# Redis and PostgreSQL are provisioned by scripts/provision/ (TypeScript, run through tsx, so it
# needs these dependencies), which `pnpm test` runs.
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(node -p "require('./package.json').packageManager.split('@')[1]")
have=$(pnpm --version 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  echo "setup: installing pnpm $want (found: ${have:-none})"
  npm install -g "pnpm@$want" --no-fund --no-audit --loglevel=error
fi

echo "setup: installing dependencies (pnpm install --frozen-lockfile)"
pnpm install --frozen-lockfile --reporter=append-only
