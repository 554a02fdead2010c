#!/usr/bin/env bash
# Runs on the lent GPU machine, from the working tree the device tool copies there.
#   device.sh stash   keeps this call's pieces (.gpu/piece-*) in /root/akkaocr-pieces; call once
#                     per piece, back to back (the machine is given back after 30 s idle)
#   device.sh run     joins and checks the pieces, unpacks, starts the host on the GPU build and
#                     measures pages/min with engine=auto and engine=neural (throughput.py);
#                     logs and results go to $OUT (the device tool brings them back)
set -euo pipefail
MODE="${1:?stash or run}"
PIECES=/root/akkaocr-pieces
APP=/root/akkaocr
OUT="${OUT:-/tmp/akkaocr-out}"
mkdir -p "$PIECES" "$OUT"
if compgen -G ".gpu/piece-*" >/dev/null; then cp .gpu/piece-* .gpu/SHA256SUMS "$PIECES/"; fi
ls -l "$PIECES"
[[ "$MODE" == stash ]] && exit 0

(cd "$PIECES" && sha256sum -c SHA256SUMS)
rm -rf "$APP"; mkdir -p "$APP"
cat "$PIECES"/piece-* | xz -d | tar -x -C "$APP"
(nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version --format=csv || echo "no nvidia-smi") | tee "$OUT/gpu.txt"

CUBLAS_LT="$(ldconfig -p | awk '/libcublasLt\.so\.13 / && !found {print $NF; found = 1}')"
CUDA_LIBS="${CUBLAS_LT:+$(dirname "$CUBLAS_LT")}"
export DOTNET_ROOT="$APP/dotnet" PATH="$APP/bin:$APP/dotnet:$PATH" TESSDATA_PREFIX="$APP/tessdata"
export LD_LIBRARY_PATH="$APP/lib:$APP/app/runtimes/linux-x64/native${CUDA_LIBS:+:$CUDA_LIBS}:/usr/local/cuda/lib64"
export JWT_SECRET_KEY=gpu-bench-secret-0123456789abcdef0123456789 ASPNETCORE_URLS=http://127.0.0.1:8018
export OCR_DATA_DIR=/tmp/akkaocr-data OCR_MODELS_DIR="$PWD/models" OCR_MAX_FILE_SIZE_MB=200 OCR_JOB_TIMEOUT=1800
export OCR_MAX_CONCURRENT_JOBS="${OCR_MAX_CONCURRENT_JOBS:-4}" OCR_EXECUTION_PROVIDER="${OCR_EXECUTION_PROVIDER:-auto}"
ldd "$APP/app/runtimes/linux-x64/native/libonnxruntime_providers_cuda.so" > "$OUT/ldd-cuda-provider.txt" 2>&1 || true
rm -rf "$OCR_DATA_DIR"
dotnet "$APP/app/Ocr.Host.dll" gpu --probe "$PWD/models/ppocr-v4" > "$OUT/gpu-probe.json" 2>&1 || true
(cd "$APP/app" && exec dotnet Ocr.Host.dll > "$OUT/host.log" 2>&1) &
HOST=$!
# python3 rather than curl: the GPU machine's image is not known to have curl.
python3 - "$OUT/health.json" <<'PY'
import sys, time, urllib.request
for _ in range(240):
    try:
        body = urllib.request.urlopen("http://127.0.0.1:8018/api/ocr/health/", timeout=5).read()
        open(sys.argv[1], "wb").write(body); print(body.decode()); break
    except Exception:
        time.sleep(0.5)
else:
    sys.exit("the host did not answer health in 120 s")
PY
# Which libraries the host loaded, and from where (the bundle's, or the machine's glibc/C++/CUDA ones).
grep -o '/[^ ]*\.so[^ ]*' "/proc/$HOST/maps" | sort -u > "$OUT/libraries.txt" || true
echo "libraries from outside the bundle:"; grep -v "^$APP/" "$OUT/libraries.txt" || true
# The texts come back in throughput.json; their CER is computed here later (throughput.py --score), not on device time.
python3 "$APP/throughput.py" http://127.0.0.1:8018 "$JWT_SECRET_KEY" "$APP/input/mixed.pdf" \
  --engines "${ENGINES:-auto,neural}" --copies "${COPIES:-4}" --out "$OUT/throughput.json" 2>&1 | tee "$OUT/throughput.txt"
kill "$HOST" 2>/dev/null || true
wait "$HOST" 2>/dev/null || true
tail -40 "$OUT/host.log"
