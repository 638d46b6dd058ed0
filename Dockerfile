# PageSight API image. CPU by default; a CUDA build with:
#   docker build --build-arg VARIANT=cuda -t pagesight:cuda .
# Model weights are not baked in: they live in the /models volume (HF_HOME), filled once with
#   docker compose run --rm api pagesight models pull full
ARG VARIANT=cpu

FROM python:3.11-slim-bookworm AS base-cpu
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS base-cuda
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv && rm -rf /var/lib/apt/lists/*

FROM base-${VARIANT}
ARG VARIANT
# Tesseract for OCR of scanned pages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 pagesight \
    && mkdir -p /data /models && chown pagesight:pagesight /data /models
WORKDIR /app
COPY pyproject.toml README.md __init__.py ./
COPY core core
COPY ingest ingest
COPY index index
COPY retrieve retrieve
COPY generate generate
COPY api api
# PyPI's torch 2.13.0 runs on the CPU and on CUDA alike (pyproject pins it with '===', which a
# '+cpu' wheel does not match), so both variants install the same way; CUDA needs the cuda base.
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir .
ENV PATH=/opt/venv/bin:$PATH \
    PAGESIGHT_DATA_DIR=/data \
    HF_HOME=/models \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    PYTHONUNBUFFERED=1
USER pagesight
VOLUME ["/data", "/models"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=5 \
    CMD python3 -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"
CMD ["pagesight", "serve", "--host", "0.0.0.0", "--port", "8000"]
