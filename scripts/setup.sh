#!/usr/bin/env bash
# Installs what AkkaOcr needs on a fresh Debian machine (run as root) and builds it.
# Idempotent: packages already present are not reinstalled.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIGURATION="${CONFIGURATION:-Release}"

# qpdf lays the searchable PDF's text on a PDF upload's own pages. ImageMagick and xmllint check result formats in the tests (word boxes against stock tesseract on turned images; ALTO against its schema).
# img2pdf builds the scanned PDFs of the cluster check and benchmarks; npm runs the OpenAPI linter and client generator in the tests. libgtk-3-0 brings the shared libraries OpenCvSharp's native part links against.
packages=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd libtesseract-dev poppler-utils qpdf redis-server img2pdf imagemagick libxml2-utils python3 ca-certificates libgtk-3-0)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Tools that may come from elsewhere (a Node.js install of its own, say): Debian's package only when the command is absent.
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (dotnet not found on PATH)" >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore AkkaOcr.sln --verbosity quiet
dotnet build AkkaOcr.sln -c "$CONFIGURATION" --no-restore --verbosity quiet -nologo
