# optiviz: docker build -t optiviz . && docker run -p 8000:8000 optiviz
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OPTIVIZ_HOST=0.0.0.0 \
    OPTIVIZ_PORT=8000 \
    OPTIVIZ_WORKERS=2 \
    OPENBLAS_NUM_THREADS=1

WORKDIR /app

# dependencies and the package, as its wheel installs it (setup.py): optiviz, with the server as
# optiviz.server and its static files, templates, lessons and catalogue inside; nothing is read from
# /app at run time
COPY pyproject.toml setup.py README.md ./
COPY app ./app
COPY optiviz ./optiviz
COPY static ./static
COPY templates ./templates
RUN pip install --no-cache-dir .
# compile the engine's kernels into the image (the server loads them; the cache is read-only at run time)
RUN optiviz warmup && chown -R 10001 /usr/local/var/optiviz-kernels

RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin optiviz
USER 10001

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('OPTIVIZ_PORT', '8000'), timeout=2)"]

# optiviz serve, not plain uvicorn: it adds the head timeouts, the cap on open connections (idle
# ones closed first) and socket resets for dropped readers; the app enforces the rest itself
CMD ["optiviz", "serve"]
