# The targets CI and developers use. `make test` is the whole suite.

GO ?= go
BIN := bin/halonsh

# Packages whose code runs goroutines; they also run under the race detector.
RACE_PKGS ?= $(shell $(GO) list ./lang/vm/... ./builtins/... ./mta/... 2>/dev/null)

.PHONY: build test vet unit race conformance hooks clean

build:
	$(GO) build -o $(BIN) ./cmd/halonsh

vet:
	$(GO) vet ./...

unit:
	$(GO) test -count=1 ./...

race:
	@if [ -n "$(RACE_PKGS)" ]; then $(GO) test -count=1 -race $(RACE_PKGS); fi

conformance: build
	tests/conformance/run.sh $(CURDIR)/$(BIN)

# The shipped hook scripts' own tests, through the command users run.
hooks: build
	$(BIN) test scripts/*.test.yaml

test: vet unit race conformance hooks

clean:
	rm -rf bin
