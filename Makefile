# Cashback: the two commands that do all the set-up on a fresh Debian machine with Swift.
#   make run    installs the system packages when missing, builds, serves h2c on 127.0.0.1:50051
#   make test   the same packages plus the test peers, then every test (Swift and interop) and a
#               short run of each fuzz target

SWIFT ?= swift
# System libraries the build links against (ARCHITECTURE.md §1).
SYSTEM_PACKAGES := libnghttp2-dev libssl-dev libsqlite3-dev pkg-config
# Real HTTP/2 peers and Python for the interop tests; openssl makes the test certificates.
TEST_PACKAGES := nghttp2-client curl openssl python3 python3-venv
INTEROP_VENV := .build-interop/venv
# Pinned: the interop tests are checked against these versions.
PYTHON_PACKAGES := grpcio==1.85.1 h2==4.4.1 pytest==9.2.0 prometheus-client==0.26.0
# Seconds each fuzz target runs in `make test` (Fuzz/README.md).
FUZZ_SECONDS ?= 20

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test build deps test-deps generate check-generated swift-test interop-test fuzz-short \
	examples docs clean

run: deps
	$(SWIFT) run cashbackd --plaintext --development-token-file .cashback-dev-token

build: deps
	$(SWIFT) build

test: deps test-deps swift-test interop-test fuzz-short examples

# The client library's DocC documentation, from Clients/Swift/CashbackClient/Documentation.docc
# and the doc comments, into .build/docs (open .build/docs/index.html through a web server, or
# `docc preview` the catalog). docc ships with the Swift toolchain; no plugin is needed.
docs: deps
	rm -rf .build/symbol-graphs .build/client-symbol-graphs && mkdir -p .build/client-symbol-graphs
	$(SWIFT) build --target CashbackClient -Xswiftc -emit-symbol-graph \
		-Xswiftc -emit-symbol-graph-dir -Xswiftc .build/symbol-graphs
	cp .build/symbol-graphs/CashbackClient*.json .build/client-symbol-graphs/
	docc convert Clients/Swift/CashbackClient/Documentation.docc \
		--additional-symbol-graph-dir .build/client-symbol-graphs --output-path .build/docs \
		--fallback-display-name CashbackClient --fallback-bundle-identifier cashback.CashbackClient \
		--fallback-bundle-version "$$($(SWIFT) run -q cashbackd --version)"

# The example apps depend on this package by path, as a newcomer's app would (README "The Swift
# client"); building them proves the library's public API is enough. They share this package's
# build folder, so the modules they use are built once (a folder of their own took 1.5 minutes
# more in CI to build SwiftNIO again).
examples: deps
	$(SWIFT) build --package-path Examples/BalanceCheck --scratch-path .build

swift-test:
	$(SWIFT) test

# Starts real cashbackd processes on 127.0.0.1 with ephemeral ports; each test stops its own.
# test_probe*.py run the cashback-probe built beside cashbackd.
interop-test:
	$(SWIFT) build --product cashbackd
	$(SWIFT) build --product cashback-probe
	CASHBACKD="$$($(SWIFT) build --show-bin-path)/cashbackd" \
		$(INTEROP_VENV)/bin/python -m pytest -q Tests/Interop

# Builds the libFuzzer targets of Fuzz/ (swiftc only, nothing fetched) and runs each for
# FUZZ_SECONDS; fails on a finding or when a target executed too few inputs to have fuzzed.
fuzz-short:
	Fuzz/run-all.sh $(FUZZ_SECONDS)

# Regenerates Sources/CashbackAPI/Generated and Clients/Swift/CashbackClient/Generated.
generate:
	$(SWIFT) run rpcgen

check-generated:
	$(SWIFT) run rpcgen --check

deps:
	@missing=""; for package in $(SYSTEM_PACKAGES); do \
		dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

test-deps:
	@missing=""; for package in $(TEST_PACKAGES); do \
		dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ] && ! { command -v nghttp && command -v curl && command -v openssl && python3 -c 'import venv, ensurepip'; } >/dev/null 2>&1; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
	@if [ ! -x $(INTEROP_VENV)/bin/python ]; then python3 -m venv $(INTEROP_VENV); fi
	@$(INTEROP_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		$(PYTHON_PACKAGES)

clean:
	rm -rf .build .build-interop Fuzz/.build
