# AkkaOcr container image. CPU flavour (default):   docker build -t akkaocr .
#                          GPU flavour (CUDA 13):   docker build --build-arg FLAVOUR=gpu -t akkaocr:gpu .
# The GPU flavour builds with -p:OcrGpu=true (Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0, which
# links CUDA 13 and cuDNN 9) on NVIDIA's CUDA runtime image; run it with `--gpus all`.
ARG FLAVOUR=cpu

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG FLAVOUR
WORKDIR /src
COPY . .
RUN GPU_SWITCH=$([ "$FLAVOUR" = "gpu" ] && echo "-p:OcrGpu=true" || true) \
 && dotnet publish src/Ocr.Host -c Release -r linux-x64 --self-contained false $GPU_SWITCH -o /app \
 && cp -r models /app/models

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime-cpu
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd libtesseract5 poppler-utils qpdf libgtk-3-0 \
 && rm -rf /var/lib/apt/lists/*

FROM nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04 AS runtime-gpu
COPY --from=mcr.microsoft.com/dotnet/aspnet:10.0 /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd libtesseract5 poppler-utils qpdf libgtk-3-0t64 libicu74 \
 && rm -rf /var/lib/apt/lists/*

FROM runtime-${FLAVOUR}
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://0.0.0.0:8008 \
    OCR_DATA_DIR=/data \
    OCR_MODELS_DIR=/app/models \
    OMP_THREAD_LIMIT=1
VOLUME /data
EXPOSE 8008
ENTRYPOINT ["dotnet", "Ocr.Host.dll"]
