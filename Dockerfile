# The gateway image: `docker build -t enedis-gateway .` (or `make docker-build`).
#   docker run --env-file .env -p 8080:8080 enedis-gateway            # serve
#   docker run --env-file .env enedis-gateway migrate                 # apply migrations
ARG PYTHON_VERSION=3.11
ARG UV_VERSION=0.13.9

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

# -- builder: the locked dependencies and the project, in /app/.venv ----------------------
FROM python:${PYTHON_VERSION}-slim AS builder
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON_PREFERENCE=only-system \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first, from uv.lock only: this layer is rebuilt only when the lock changes.
# --no-default-groups: no dev tools and no `embedded` group (the PostgreSQL and Valkey
# servers of `gateway dev` and the tests, 58 MB): the image only serves and migrates.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=/app/uv.lock \
    --mount=type=bind,source=pyproject.toml,target=/app/pyproject.toml \
    uv sync --frozen --no-default-groups --no-install-project
# Then the project itself. It stays an (editable) source tree under /app: the package
# finds migrations/ next to itself (gateway/db.py), so /app is copied whole below.
COPY pyproject.toml uv.lock README.md ./
COPY gateway ./gateway
COPY migrations ./migrations
COPY openapi ./openapi
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-default-groups \
    && python -m compileall -q gateway

# -- final: slim Python, no build tools, no uv, non-root ------------------------------------
FROM python:${PYTHON_VERSION}-slim
RUN groupadd --system --gid 10001 gateway \
    && useradd --system --uid 10001 --gid gateway --home-dir /app --shell /usr/sbin/nologin gateway
WORKDIR /app
COPY --from=builder --chown=root:root /app /app
# GATEWAY_HOST: the image listens on every interface (the program's own default is
# loopback); .env.example leaves it unset, so `--env-file .env` keeps this one.
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8080
USER gateway:gateway
EXPOSE 8080
# SIGTERM (docker stop) makes the gateway stop accepting and drain for SHUTDOWN_GRACE_SECONDS
# (15 s by default): give the container more than that (docker stop -t / stop_grace_period).
STOPSIGNAL SIGTERM
# `gateway healthcheck` asks /health/live on the container's own (non-loopback) address,
# the one the published port leads to: a gateway bound to 127.0.0.1 is unhealthy.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["gateway", "healthcheck"]
ENTRYPOINT ["gateway"]
CMD ["serve"]
