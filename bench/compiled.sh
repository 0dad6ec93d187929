#!/usr/bin/env bash
# Runs a benchmark on the compiled JavaScript the package ships (tsc output), instead of through
# Node's type stripping, which costs the process ~15–30 MB of extra memory and some start-up CPU.
#   bench/compiled.sh triage [bench args…]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=${1:?usage: bench/compiled.sh NAME [args…]  (NAME: a file in bench/ without .ts)}
shift
out=$(mktemp -d)
config="$root/.bench-tsconfig.$$.json"
trap 'rm -rf "$out" "$config"' EXIT
cat > "$config" <<JSON
{ "extends": "./tsconfig.json",
  "compilerOptions": { "noEmit": false, "outDir": "$out", "rootDir": "." },
  "include": ["bench/$name.ts"] }
JSON
(cd "$root" && npx --no-install tsc -p "$config")
ln -s "$root/node_modules" "$out/node_modules"
ln -s "$root/data" "$out/data"
echo '{ "type": "module" }' > "$out/package.json"
K8S_ADVISOR_SHARED_DATA="${K8S_ADVISOR_SHARED_DATA:-$root/../shared/data}" node "$out/bench/$name.js" "$@"
