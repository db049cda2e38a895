# Heliograph: the gateway, the REST API and the dashboard in one process, on port 8585, with
# everything it stores (chDB logs, SQLite metadata unless HELIOGRAPH_DATABASE_URL says
# otherwise, the spool, the key file) under the volume /var/lib/heliograph.
#   docker build -t heliograph .
#   docker run -d -p 8585:8585 -v heliograph-data:/var/lib/heliograph heliograph
# The same image runs every role, chosen by the command: `gateway --host 0.0.0.0` is a gateway
# of the scale-out shape (its data dir holds its spool only), `serve` its api.
# docs/deploy.md has the rest (Compose, Kubernetes, scale-out, upgrades, backups).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Build stage: a virtual environment with Heliograph and its dependencies, from PyPI wheels
# (chDB, uvloop, httptools, orjson, psycopg and cryptography all ship them: no compiler).
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/heliograph
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/heliograph/bin/pip install .

# Run stage: the same slim image, the virtual environment, and a user of its own.
FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 heliograph \
    && useradd --system --uid 10001 --gid heliograph --home-dir /var/lib/heliograph \
        --shell /usr/sbin/nologin heliograph \
    && mkdir -p /var/lib/heliograph/data \
    && chown -R heliograph:heliograph /var/lib/heliograph \
    && chmod -R 0700 /var/lib/heliograph
COPY --from=build /opt/heliograph /opt/heliograph
# The data dir is a directory inside the volume, not the volume's root: Heliograph makes it
# owner-only (0700) at start, which it can do only to a directory it owns, and a Kubernetes
# volume's root belongs to root (group-writable through fsGroup).
ENV PATH=/opt/heliograph/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HELIOGRAPH_DATA_DIR=/var/lib/heliograph/data
USER heliograph:heliograph
WORKDIR /var/lib/heliograph
VOLUME ["/var/lib/heliograph"]
EXPOSE 8585
# Healthy while /healthz answers 200; 503 (degraded: rows are not being stored) is unhealthy.
# Python's urllib: the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('HELIOGRAPH_PORT', '8585') + '/healthz', timeout=4)"]
ENTRYPOINT ["heliograph"]
CMD ["serve", "--host", "0.0.0.0"]
