# The Briefings image: `docker run IMAGE web`, `… worker`, `… db upgrade` — any `briefings` command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BRIEFINGS_HOME=/data \
    PORT=3000

WORKDIR /app

COPY pyproject.toml README.md alembic.ini manifest.yml ./
COPY alembic ./alembic
COPY briefings ./briefings
COPY bot ./bot
# Editable, so the package finds its migrations beside it in /app/alembic (`briefings db upgrade`).
RUN pip install -e .

RUN useradd --create-home --uid 10001 briefings \
    && mkdir -p /data \
    && chown briefings /data
USER briefings

EXPOSE 3000
ENTRYPOINT ["briefings"]
CMD ["--help"]
