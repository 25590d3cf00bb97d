# Asamblea in a container. The database and the encryption keys live on the /data volume, next to
# the configuration the operator puts there (/data/config.toml; see deploy/config.container.toml).
#   docker compose up -d            (the bot with its own LibreTranslate: compose.yaml)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# The tested versions (constraints.txt) of everything the bot needs, nothing the tests need.
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY commands ./commands
RUN pip install -c constraints.txt . \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home asamblea \
    && mkdir /data && chown asamblea:asamblea /data && chmod 700 /data

USER asamblea
WORKDIR /data
VOLUME ["/data"]
# /health and /metrics, with [observability] listen = "0.0.0.0:9464" in the configuration.
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/health', timeout=8)"]

# `docker compose run --rm asamblea doctor --config /data/config.toml` runs another command.
ENTRYPOINT ["asamblea"]
CMD ["run", "--config", "/data/config.toml"]
