# syntax=docker/dockerfile:1
# Rasa 3.6 on Python 3.10 with only bot/requirements.txt (nothing of Muni's runtime), the Danish spaCy
# pipeline assembled from PyPI packages and the model trained while the image is built.
# Build from the repository root (docs/deployment.md):
#   docker build -f deploy/docker/rasa.Dockerfile -t muni-rasa:VERSION .
# Another model can be mounted instead: point MUNI_RASA_MODEL at it. No secret is baked in: the API
# token (MUNI_RASA_TOKEN) and the tracker store's password come from the environment at run time.

ARG PYTHON_IMAGE=python:3.10.16-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY bot/requirements.txt bot/
RUN pip install --requirement bot/requirements.txt
# No Danish pipeline is on PyPI: blank "da" plus lookup lemmas, saved where config.yml points.
COPY bot/setup bot/setup
RUN python bot/setup/build_spacy_da.py build/spacy_da
COPY config.yml ./
COPY bot/domain bot/domain
COPY bot/data bot/data
RUN rasa train --config config.yml --domain bot/domain --data bot/data \
        --out models --fixed-model-name muni --quiet

FROM ${PYTHON_IMAGE} AS runtime
# HOME and the caches point at /tmp: the root filesystem may be read-only (deploy/k8s/rasa.yaml).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp \
    RASA_CACHE_DIRECTORY=/tmp/rasa-cache \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    MUNI_RASA_PORT=5005
RUN groupadd --system --gid 10001 muni \
    && useradd --system --uid 10001 --gid muni --home-dir /app --no-create-home muni
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# config.yml names build/spacy_da relative to the working directory.
COPY --from=build /src/build/spacy_da build/spacy_da
COPY --from=build /src/models/muni.tar.gz models/muni.tar.gz
COPY credentials.yml endpoints.yml ./
COPY deploy/rasa/serve.py deploy/rasa/serve.py
COPY bot/rasa_main.py bot/cached_tracker_store.py bot/
USER 10001:10001
EXPOSE 5005
# Healthy: the API answers /status with the token and a model is loaded.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "deploy/rasa/serve.py", "ready"]
ENTRYPOINT ["python", "deploy/rasa/serve.py"]
CMD ["serve"]
