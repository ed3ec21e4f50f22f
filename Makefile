# The interface people use. `make run` and `make test` set up everything on a fresh machine.
UV_VERSION := 0.13.8
UV := .uv/bin/uv
PY := .venv/bin/python

.PHONY: install run demo test fuzz lint format typecheck bench chaos migrate deploy-check clean

CONSOLE_ASSETS := gateway/console/node_modules/.installed

install: .venv/.installed $(CONSOLE_ASSETS)

$(UV):
	python3 -m venv .uv
	.uv/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --frozen
	touch $@

# The console's browser libraries (htmx), pinned by package-lock.json and served by the gateway.
$(CONSOLE_ASSETS): gateway/console/package.json gateway/console/package-lock.json
	npm ci --prefix gateway/console --no-audit --no-fund --ignore-scripts
	touch $@

run: install  ## the whole platform on SQLite files and an embedded NATS server
	$(PY) -m deploy.launcher

# DEMO_ARGS="--scenario ci-small --admin-password …" (scenarios: deploy/demo/scenarios).
demo: install  ## play the Haizhu–Weng'an program through the gateway and compare the published figures
	$(PY) -m deploy.demo $(DEMO_ARGS)

test: install  ## the test suite on real PostgreSQL and a real nats-server
	$(PY) -m pytest $(PYTEST_ARGS)

# The API fuzzing of `make test` (tests/fuzz) at length: many more requests per operation and
# caller, and longer stateful chains; same seed unless EW_FUZZ_SEED is set.
FUZZ_EXAMPLES ?= 25
fuzz: install  ## schemathesis through the gateway as every role, at length (about 30 minutes)
	EW_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) EW_FUZZ_STATEFUL_SCENARIOS=$${EW_FUZZ_STATEFUL_SCENARIOS:-50} \
	EW_FUZZ_STATEFUL_STEPS=$${EW_FUZZ_STATEFUL_STEPS:-12} \
	$(PY) -m pytest tests/fuzz -p no:cacheprovider --timeout 3600 $(PYTEST_ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: install
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

typecheck: install
	.venv/bin/mypy shared gateway services deploy

# The hot paths and their baselines side by side (issue 12); installs nginx and wrk from Debian
# when missing. BENCH_ARGS=--quick for a short development run; docs/bench.md is the report.
bench: install  ## the hot paths against their baselines, about 10 minutes
	$(PY) -m tests.bench.run $(BENCH_ARGS)

chaos: install  ## the fault harness, long run: >= 10,000 writes, every fault kind 3 times
	$(PY) -m tests.chaos.run $(CHAOS_ARGS)

migrate: install  ## migrate every database to head (also done by `make run`)
	$(PY) -m deploy.migrate all upgrade

deploy-check: install  ## the image, compose file, Kubernetes overlays and NATS configs, offline
	$(PY) -m deploy.check

clean:
	rm -rf data .pytest_cache .ruff_cache .mypy_cache
