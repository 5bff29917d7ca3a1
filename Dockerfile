# TuneWave web/worker/beat image: one image, the command picks the role (see docker-compose.yml).

# The web app (React + Vite) is built in its own stage; only its output reaches the image.
FROM node:20-slim AS spa
WORKDIR /build
COPY frontend/package.json frontend/package-lock.json frontend/
RUN npm --prefix frontend ci --no-audit --no-fund
COPY frontend/ frontend/
RUN npm --prefix frontend run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/tmp/tunewave-metrics

# Same path as a bare-metal checkout, so deploy/nginx.conf's /static/ and /media/ aliases match.
WORKDIR /srv/tunewave

RUN useradd --system --create-home --home-dir /home/tunewave --shell /usr/sbin/nologin tunewave

COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
COPY --from=spa /build/static/app/ static/app/

# Static files are collected at build time with a throwaway key (DEBUG off needs one to import
# settings; nothing signed here survives the build). The SPA arrives from the spa stage.
RUN DEBUG=0 SECRET_KEY=build-time-only-collectstatic-key-not-used-at-runtime-0123456789 \
        python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p media \
    && chown -R tunewave:tunewave staticfiles media

USER tunewave
EXPOSE 8000

# No --proxy-headers: the app reads X-Forwarded-For itself, trusting exactly TRUSTED_PROXY_COUNT hops.
# No access log of Daphne's own: the proxy in front logs requests, and Daphne's log would
# print the query strings of OAuth callbacks (authorization codes).
CMD ["python", "-m", "tunewave.serve", "-b", "0.0.0.0", "-p", "8000", "--access-log", "/dev/null", "tunewave.asgi:application"]
