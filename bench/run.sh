#!/usr/bin/env bash
# The benchmark of Préau: builds `preau` and `preau-bench` in release mode and runs them.
# Extra arguments go to preau-bench (--secs N, --portal-rate R; --import ACCOUNTS for the
# directory-feed benchmark instead; --sso for the single sign-on benchmark: CAS, OpenID Connect,
# introspection; --oidc for its OpenID Connect part only; --peer adds django-cas-server and the
# npm oidc-provider side by side).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/preau-target}"
cargo build --release -q -p preau -p preau-bench
exec "$CARGO_TARGET_DIR/release/preau-bench" --preau "$CARGO_TARGET_DIR/release/preau" "$@"
