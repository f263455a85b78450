# lockhub: `make help` lists the targets.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
PKGS    := ./...
# internal/third_party/mochi is our fork of mochi-mqtt, its own module: ./... does not reach it.
MOCHI   := internal/third_party/mochi
# Debian packages the tests need, as command=package pairs.
DEB_DEPS := mosquitto_pub=mosquitto-clients mosquitto=mosquitto chromium=chromium chromedriver=chromium-driver promtool=prometheus systemd-analyze=systemd
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

deps: ## install missing Debian packages the tests need (apt-get; sudo when not root)
	@missing=""; for pair in $(DEB_DEPS); do cmd=$${pair%%=*}; pkg=$${pair#*=}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then echo "deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: all present"; fi
	@$(GO) version
	@$(GO) mod download

build: ## build a static bin/lockhub
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/lockhub ./cmd/lockhub

vet: ## go vet and gofmt (also of the mochi fork)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)
	cd $(MOCHI) && $(GO) vet ./...

test: deps vet ## everything CI checks: deps, vet, all tests with the race detector (fuzz seeds included), then bench-quick
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 18m $(PKGS)
	cd $(MOCHI) && CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 5m ./...
	$(MAKE) test-allocs
	$(MAKE) bench-quick

test-allocs: ## the allocation tests without the race detector (under it, sync.Pool drops items at random)
	$(GO) test -count=1 -run 'Alloc|^TestDigests$$' $(PKGS)
	cd $(MOCHI) && $(GO) test -count=1 -run 'Alloc' ./...

test-short: ## quick loop: short tests without the race detector
	$(GO) test -short -count=1 $(PKGS)
	cd $(MOCHI) && $(GO) test -short -count=1 ./...

fuzz: ## run every fuzz target for FUZZTIME each (default 20s)
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-20s} $$pkg || exit 1; \
	  done; done

lint: vet ## static checks (vet, gofmt, import rules via tests)
	$(GO) test -run 'TestImportRules' ./hub/

bench: build ## run every benchmark (~25 min on 2 cores) and rewrite the tables of docs/performance.md
	./bin/lockhub bench -out bench-out -doc docs/performance.md

bench-quick: build ## smoke run of the benchmark harness (small counts; fails on errors, not on speeds)
	./bin/lockhub bench -quick -out bench-out/quick -md bench-out/quick/performance.md

demo: build ## run the hub on configs/demo.yaml (everything on 127.0.0.1)
	./bin/lockhub demo

update-golden: ## rewrite golden files
	$(GO) test ./devices/wire/ -run Golden -update

.PHONY: help deps build vet test test-allocs test-short fuzz lint bench bench-quick demo update-golden
