#!/usr/bin/env bash
# Sets up and starts AkkaOcr on its embedded default (SQLite job store under OCR_DATA_DIR, port 8008).
# Without JWT_SECRET_KEY it makes a development key once, stored in $OCR_DATA_DIR/.dev-jwt-secret.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OCR_DATA_DIR="${OCR_DATA_DIR:-./data}"
mkdir -p "$OCR_DATA_DIR"
if [ -z "${JWT_SECRET_KEY:-}" ]; then
  secret_file="$OCR_DATA_DIR/.dev-jwt-secret"
  [ -s "$secret_file" ] || head -c 32 /dev/urandom | base64 | tr -d '\n=' > "$secret_file"
  JWT_SECRET_KEY="$(cat "$secret_file")"
  export JWT_SECRET_KEY
  echo "run: JWT_SECRET_KEY not set; using the development key in $secret_file"
  echo "run: mint a token with: JWT_SECRET_KEY=\$(cat $secret_file) dotnet src/Ocr.Host/bin/Release/net10.0/Ocr.Host.dll token --user alice"
fi
export OMP_THREAD_LIMIT=1
exec dotnet run --project src/Ocr.Host -c Release --no-build --no-launch-profile
