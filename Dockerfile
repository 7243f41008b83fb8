# optiviz: docker build -t optiviz . && docker run -p 8000:8000 optiviz
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OPTIVIZ_HOST=0.0.0.0 \
    OPTIVIZ_PORT=8000 \
    OPTIVIZ_WORKERS=2 \
    OPTIVIZ_ROOT=/app

WORKDIR /app

# dependencies and the package, from pyproject.toml
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install --no-cache-dir .
# compile the engine's kernels into the image (-I: the installed package, as the server imports it)
RUN python -I -m app.engine.kernels.warmup && chown -R 10001 /usr/local/var/optiviz-kernels

COPY static ./static
COPY templates ./templates

RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin optiviz
USER 10001

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('OPTIVIZ_PORT', '8000'), timeout=2)"]

CMD ["optiviz", "serve"]
