# Enedis gateway. `make run` and `make test` work on a fresh machine with Python, pip and make.
SHELL := /bin/bash
# uv from PATH, else the one pip installs (`make uv` does that when it is missing).
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_PREFERENCE := only-system

.PHONY: uv sync run dev test lint format pytest bench fuzz soak openapi migrate docker-build env-example clean

uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv \
		|| python3 -m pip install --quiet --user uv \
		|| python3 -m pip install --quiet --user --break-system-packages uv

sync: uv
	@$(UV) sync --frozen --quiet

# Ctrl-C stops it quietly: gateway dev ignores the repeated SIGINT that make and uv pass on.
run: sync
	$(UV) run gateway dev

dev: sync
	$(UV) run python -m gateway.reload dev

lint: sync
	$(UV) run ruff check gateway tests bench
	$(UV) run ruff format --check gateway tests bench
	$(UV) run mypy

format: sync
	$(UV) run ruff format gateway tests bench
	$(UV) run ruff check --fix gateway tests bench

pytest: sync
	$(UV) run pytest $(PYTEST_ARGS)

test: lint pytest

bench: sync
	$(UV) run python -m bench $(BENCH_ARGS)

fuzz: sync
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} $(UV) run pytest tests/reliability/test_fuzz.py -q

soak: sync
	$(UV) run python -m bench.soak

openapi: sync
	$(UV) run gateway openapi

migrate: sync
	$(UV) run gateway migrate

env-example: sync
	$(UV) run gateway env-example > .env.example

docker-build:
	docker build -t enedis-gateway .

clean:
	rm -rf .gateway .mypy_cache .ruff_cache
