# Cluster coordination bot: python -m bot run, data in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data

WORKDIR /app

# Same install as README: the package with its dependencies from pyproject.toml.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY db ./db
COPY locales ./locales
# Compile the catalogs first so the installed package carries the .mo files.
RUN pip install --no-cache-dir "Babel>=2.14,<3" \
    && pybabel compile -d locales -D messages \
    && pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 bot \
    && mkdir -p /data \
    && chown bot:bot /data

USER 10001
VOLUME ["/data"]

# Healthy only while getUpdates (or the webhook check) succeeds: the bot touches
# DATA_DIR/heartbeat after each successful poll.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]

CMD ["python", "-m", "bot", "run"]
