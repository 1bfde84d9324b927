# wrenmq — `make help` lists the targets. Every target sets up what it needs (npm ci, Debian
# packages) on a fresh clone; see tools/setup.sh.
SHELL := /bin/bash
.DEFAULT_GOAL := help
BIN := node_modules/.bin
ASC := $(BIN)/asc
HEAP_TOP := --transform ./tools/build/heap_top.mjs
FIRMWARE := $(shell find firmware -name '*.ts')
HARNESS := $(shell find test/harness -name '*.ts')

.PHONY: help setup run build wasm espruino harness lint test test-js test-as fuzz bench bench-client bench-codec bench-store budget vectors clean soak

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{ printf "  make %-12s %s\n", $$1, $$2 }'

setup: ## Install what the build and tests need (npm ci; mosquitto when root)
	@bash tools/setup.sh

node_modules/.package-lock.json: package-lock.json
	@bash tools/setup.sh

run: build ## The main job: the gateway on 127.0.0.1:1883 with the simulated board
	@node tools/budget.mjs
	node tools/gateway/main.mjs --board boards/sim.json --port $${PORT:-1883}

build: wasm espruino ## Build the WASM and the Espruino targets

wasm: build/wasm/wrenmq.wasm build/wasm/wrenmq.o3s.wasm build/wasm/wrenmq.debug.wasm build/wasm/wrenmq-broker.wasm build/wasm/wrenmq-client.wasm build/wasm/wrenmq-client.debug.wasm build/wasm/wrenmq-client.small.wasm ## asc: release -O3, -O3s, checked; broker; client

# The client on the Node host (CLI, bridge): room for a large outbox.
build/wasm/wrenmq-client.wasm: $(FIRMWARE) asconfig.json node_modules/.package-lock.json
	$(ASC) firmware/platform/wasm/client.ts --target release $(HEAP_TOP) --initialMemory 1024 --maximumMemory 1024 --outFile $@
build/wasm/wrenmq-client.debug.wasm: $(FIRMWARE) asconfig.json node_modules/.package-lock.json
	$(ASC) firmware/platform/wasm/client.ts --target debug $(HEAP_TOP) --initialMemory 1024 --maximumMemory 1024 --outFile $@
# The client-only build for devices, optimised for size: the figure `make budget` reports.
build/wasm/wrenmq-client.small.wasm: $(FIRMWARE) asconfig.json node_modules/.package-lock.json
	$(ASC) firmware/platform/wasm/client.ts --target small -Oz --outFile $@

build/wasm/wrenmq-broker.wasm: $(FIRMWARE) asconfig.json node_modules/.package-lock.json
	$(ASC) firmware/platform/wasm/broker.ts --target release $(HEAP_TOP) --initialMemory 2048 --maximumMemory 2048 --outFile $@

build/wasm/wrenmq.wasm: $(FIRMWARE) asconfig.json node_modules/.package-lock.json
	$(ASC) firmware/platform/wasm/main.ts --target release $(HEAP_TOP) --outFile $@
build/wasm/wrenmq.o3s.wasm: $(FIRMWARE) asconfig.json node_modules/.package-lock.json
	$(ASC) firmware/platform/wasm/main.ts --target small $(HEAP_TOP) --outFile $@
build/wasm/wrenmq.debug.wasm: $(FIRMWARE) asconfig.json node_modules/.package-lock.json
	$(ASC) firmware/platform/wasm/main.ts --target debug $(HEAP_TOP) --outFile $@

espruino: build/espruino/wrenmq.js build/espruino/wrenmq-client.js ## esbuild with the Espruino profile, minified, one global object

build/espruino/wrenmq-client.js: $(FIRMWARE) tools/build/esbuild.mjs node_modules/.package-lock.json
	node tools/build/esbuild.mjs firmware/platform/espruino/client.ts $@

build/espruino/wrenmq.js: $(FIRMWARE) tools/build/esbuild.mjs node_modules/.package-lock.json
	node tools/build/esbuild.mjs firmware/platform/espruino/main.ts $@

harness: build/test/harness.wasm build/test/harness.debug.wasm build/test/harness.js build/test/broker.wasm

# The broker with 4 MB of memory, for tests that boot it thousands of times (power cuts).
build/test/broker.wasm: $(FIRMWARE) asconfig.json node_modules/.package-lock.json
	$(ASC) firmware/platform/wasm/broker.ts --target release --initialMemory 64 --maximumMemory 64 --outFile $@
build/test/harness.wasm: $(FIRMWARE) $(HARNESS) asconfig.json node_modules/.package-lock.json
	$(ASC) test/harness/wasm.ts --target release $(HEAP_TOP) --outFile $@
build/test/harness.debug.wasm: $(FIRMWARE) $(HARNESS) asconfig.json node_modules/.package-lock.json
	$(ASC) test/harness/wasm.ts --target debug $(HEAP_TOP) --outFile $@
build/test/harness.js: $(FIRMWARE) $(HARNESS) tools/build/esbuild.mjs node_modules/.package-lock.json
	node tools/build/esbuild.mjs test/harness/js.ts $@

lint: node_modules/.package-lock.json ## Portability lint of firmware/ (tsc whitelist + checker)
	node tools/lint_portable.mjs firmware

test: setup build harness lint test-as test-js ## Every test

test-js: harness
	node --test --test-reporter=spec test/*.test.mjs test/support/*.test.mjs

test-as: node_modules/.package-lock.json ## as-pect unit tests of the AssemblyScript code
	node tools/vectors/to_assemblyscript.mjs build/test/vectors_data.ts
	$(BIN)/asp --config as-pect.config.js --no-logo

fuzz: harness ## Differential fuzzing against mqtt-packet, 2,000,000 cases
	WRENMQ_FUZZ_CASES=2000000 node --test test/fuzz.test.mjs

bench: build ## Broker benchmark: the gateway vs mosquitto vs aedes (BENCH_QUICK=1: a smoke run)
	node tools/bench/broker.mjs

bench-client: build ## Client benchmark: wrenmq vs MQTT.js vs mosquitto_pub/_sub (BENCH_QUICK=1: a smoke run)
	node tools/bench/client.mjs

bench-codec: harness build ## Codec packets/s: WASM, JS and mqtt-packet side by side
	node tools/bench/codec.mjs

bench-store: build harness ## Flash store: write amplification, core and gateway QoS 1 with the store on vs off (BENCH_QUICK=1: a smoke run)
	node tools/bench/store.mjs

budget: build ## Sizes of both builds and memory per board profile
	node tools/budget.mjs

vectors: setup ## Re-capture the golden vectors from mosquitto and MQTT.js (needs gcc)
	node tools/vectors/capture.mjs

clean: ## Remove build output
	rm -rf build

soak: build ## 10-minute soak: normal clients beside attacks; flat RSS, drops counted (SOAK_SECONDS=60 for a short run)
	node tools/soak/soak.mjs
