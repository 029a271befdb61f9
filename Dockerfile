# Digital Actors web server image.
#   docker build -t digital-actors .
#   docker run -p 8888:8888 -v da-data:/app/data -v da-voice:/app/cache --read-only --tmpfs /tmp digital-actors
# Stage 1 builds the wheel (scenes included); stage 2 installs it into a slim runtime as a non-root user.

FROM python:3.11-slim AS builder
WORKDIR /src
RUN pip install --no-cache-dir "build>=1.2"
COPY pyproject.toml README.md ./
COPY digital_actors ./digital_actors
COPY tui ./tui
COPY web ./web
COPY scenes ./scenes
RUN python -m build --wheel --outdir /dist

FROM python:3.11-slim
ARG EXTRAS=sentry
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8888 \
    HOST=0.0.0.0 \
    ENV=production \
    LOG_FORMAT_JSON=true \
    DIGITAL_ACTORS_HOME=/app \
    DIGITAL_ACTORS_DB=/app/data/player_memory.db \
    XDG_CACHE_HOME=/tmp/.cache \
    HOME=/tmp
# DIGITAL_ACTORS_HOME=/app puts the memory DB in /app/data and the voice cache in /app/cache.
RUN groupadd --system --gid 10001 actors \
 && useradd --system --uid 10001 --gid actors --no-create-home --home-dir /nonexistent actors
COPY --from=builder /dist/*.whl /tmp/wheels/
RUN set -eux; wheel="$(ls /tmp/wheels/*.whl)"; \
    if [ -n "$EXTRAS" ]; then pip install "${wheel}[${EXTRAS}]"; else pip install "${wheel}"; fi; \
    rm -rf /tmp/wheels; \
    mkdir -p /app/data /app/cache /app/logs; \
    chown -R actors:actors /app
WORKDIR /app
USER actors:actors
VOLUME ["/app/data", "/app/cache"]
EXPOSE 8888
# python, not curl: the slim image has no curl. Healthy within 40 s of start.
HEALTHCHECK --interval=15s --timeout=5s --start-period=40s --retries=3 \
  CMD ["python", "-c", "import os,sys,urllib.request; r=urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT','8888'), timeout=4); sys.exit(0 if r.status == 200 else 1)"]
CMD ["digital-actors", "serve", "--host", "0.0.0.0"]
