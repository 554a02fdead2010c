#!/usr/bin/env bash
# Packs everything the whole service needs to run on a lent GPU machine that has CUDA 13 and
# cuDNN 9 but no .NET, Tesseract, poppler or OpenCV: the host built with the CUDA ONNX Runtime
# (-p:OcrGpu=true), the .NET runtime it runs on, the native libraries it and its tools load
# (their ldd closure here, less the C/C++ runtime and the CUDA libraries the GPU machine has),
# Tesseract's eng and osd data, poppler's three tools, a mixed scanned PDF to read and the
# throughput client. Written as xz pieces small enough to carry one per device call beside the
# working tree (the device tool moves 64 MiB a call, the tree itself ~17 MiB with the models, which
# travel in it and are not packed). ONNX Runtime's CUDA provider alone is 284 MB (186 MB as xz:
# its GPU code is compressed already), so a bundle is seven or eight pieces.
#
# usage: bash benchmarks/gpu/pack.sh [PDF] [OUTDIR]      (default OUTDIR: .gpu, git-ignored)
# then, on the device, one call per piece: bash benchmarks/gpu/device.sh stash
# and last: bash benchmarks/gpu/device.sh run          (see benchmarks/gpu/README.md)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PDF="${1:-}"
OUT="${2:-$ROOT/.gpu}"
PIECE_MB="${PIECE_MB:-46}"
WORK="$(mktemp -d /tmp/akkaocr-gpu-pack.XXXXXX)"
STAGE="$WORK/stage"
trap 'git -C "$ROOT" worktree remove --force "$WORK/tree" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
mkdir -p "$STAGE"/{lib,bin,tessdata,input}

# The GPU build in a worktree of HEAD, so this checkout's CPU build and its obj/ stay as they are.
git -C "$ROOT" worktree add --detach "$WORK/tree" HEAD >/dev/null
dotnet publish "$WORK/tree/src/Ocr.Host" -c Release -p:OcrGpu=true --nologo -v q -o "$STAGE/app" >/dev/null

# The .NET runtime the host was built for (framework-dependent: no runtime packs needed).
DOTNET_HOME="$(dirname "$(readlink -f "$(command -v dotnet)")")"
VERSION="$(grep -m1 -o '"version": "10\.[^"]*"' "$STAGE/app/Ocr.Host.runtimeconfig.json" | cut -d'"' -f4)"
mkdir -p "$STAGE/dotnet/shared"
cp "$DOTNET_HOME/dotnet" "$STAGE/dotnet/"
cp -r "$DOTNET_HOME/host" "$STAGE/dotnet/"
# The engine appends the CUDA provider only; TensorRT's would want TensorRT's own libraries.
rm -f "$STAGE"/app/runtimes/linux-x64/native/libonnxruntime_providers_tensorrt.so
for framework in Microsoft.NETCore.App Microsoft.AspNetCore.App; do
  installed="$(ls "$DOTNET_HOME/shared/$framework" | grep "^${VERSION%.*}\." | sort -V | tail -1)"
  mkdir -p "$STAGE/dotnet/shared/$framework"
  cp -r "$DOTNET_HOME/shared/$framework/$installed" "$STAGE/dotnet/shared/$framework/"
done

# Tools and libraries. Left out: what every glibc system has, and the CUDA/cuDNN/NVIDIA
# libraries, which must be the GPU machine's own (they match its driver).
for tool in pdftoppm pdfinfo pdftotext; do cp "$(command -v $tool)" "$STAGE/bin/"; done
TESSERACT_LIB="$(ldconfig -p | awk '/libtesseract\.so\.5 / && !found {print $NF; found = 1}')"
cp -L "$TESSERACT_LIB" "$STAGE/lib/"
SYSTEM='^(linux-vdso|libc|libm|libdl|libpthread|librt|libresolv|ld-linux-x86-64|libgcc_s|libstdc\+\+)\.so'
GPU='^(libcuda|libcudart|libcublas|libcublasLt|libcufft|libcurand|libcusparse|libcusolver|libcudnn[a-z_]*|libnvidia-[a-z]*|libnvrtc|libnvJitLink|libnccl|libnvinfer)\.so'
closure() {
  ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u
}
targets=("$STAGE"/bin/* "$TESSERACT_LIB" "$STAGE"/app/runtimes/linux-x64/native/*.so)
closure "${targets[@]}" | while read -r name path; do
  if [[ "$name" =~ $SYSTEM || "$name" =~ $GPU || -e "$STAGE/app/runtimes/linux-x64/native/$name" ]]; then continue; fi
  cp -L "$path" "$STAGE/lib/$name"
done
# .NET's globalization loads ICU's i18n library beside the libicuuc Tesseract brought, by the same version.
for icu in "$STAGE"/lib/libicuuc.so.*; do
  [[ -e "$icu" ]] || continue
  i18n="libicui18n.so.${icu##*libicuuc.so.}"
  cp -L "$(ldconfig -p | awk -v name="$i18n" '$1 == name && !found {print $NF; found = 1}')" "$STAGE/lib/$i18n"
done
for data in eng osd; do cp "/usr/share/tesseract-ocr/5/tessdata/$data.traineddata" "$STAGE/tessdata/"; done
cp -r /usr/share/tesseract-ocr/5/tessdata/configs "$STAGE/tessdata/" 2>/dev/null || true

# What to read there and how.
# perf.py's cache keeps each PDF's ground truth by source document beside it (units.json).
if [[ -n "$PDF" ]]; then
  cp "$PDF" "$STAGE/input/mixed.pdf"
  if [[ -f "$(dirname "$PDF")/units.json" ]]; then cp "$(dirname "$PDF")/units.json" "$STAGE/input/"; fi
fi
cp "$ROOT/benchmarks/gpu/throughput.py" "$ROOT/benchmarks/bench_service.py" "$STAGE/"

# Every library the host or its tools load must come from the stage or be one the GPU machine has.
resolved="$(LD_LIBRARY_PATH="$STAGE/lib:$STAGE/app/runtimes/linux-x64/native" \
  ldd "$STAGE"/bin/* "$STAGE"/lib/*.so* "$STAGE"/app/runtimes/linux-x64/native/*.so 2>/dev/null | awk '$2 == "=>" {print $1, $3, $4}' | sort -u)"
missing="$(grep -v -E "$STAGE|not found" <<<"$resolved" | awk '{print $1}' | grep -v -E "$SYSTEM" | grep -v -E "$GPU" || true)"
# Here the CUDA provider's own libraries are not found (no CUDA on this machine): the GPU machine has them.
notfound="$(grep "not found" <<<"$resolved" | grep -v -E "$GPU" || true)"
if [[ -n "$missing" || -n "$notfound" ]]; then
  echo "pack: libraries that would come from outside the stage:" >&2
  echo "$missing $notfound" >&2
  exit 1
fi

rm -rf "$OUT"; mkdir -p "$OUT"
tar -C "$STAGE" -cf - . | xz -6 -T"$(nproc)" | split -b "${PIECE_MB}m" -d -a 2 - "$OUT/piece-"
(cd "$OUT" && sha256sum piece-* > SHA256SUMS)
echo "stage $(du -sh "$STAGE" | cut -f1), $(ls "$OUT"/piece-* | wc -l) pieces in $OUT:"
ls -l "$OUT"
