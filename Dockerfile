# Production image: gunicorn web, Celery worker and beat share it.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    RISKHUB_VAR_DIR=/srv/riskhub/var MEDIA_ROOT=/srv/riskhub/media STATIC_ROOT=/srv/riskhub/static

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz-subset0 fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 riskhub
WORKDIR /app
COPY pyproject.toml README.md manage.py ./
COPY riskhub ./riskhub
COPY templates ./templates
COPY static ./static
COPY bin/build-image ./bin/build-image
# The build steps (install, settings check, collectstatic) live in bin/build-image,
# which CI also runs in a clean copy of the repository (.ci/run).
RUN PYTHON=python bin/build-image /app \
 && chown -R riskhub:riskhub /srv/riskhub

USER riskhub
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/healthz/ || exit 1
CMD ["gunicorn", "riskhub.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--timeout", "60", "--access-logfile", "-"]
