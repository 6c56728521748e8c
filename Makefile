# sealkv - plain Makefile. `make` builds bin/; `make run` and `make test` are
# the README's two commands and install their own Debian packages first.
#
# SAN=1 builds everything with AddressSanitizer+UBSan into build-asan/ and
# bin-asan/ (CI runs the tests once more that way).

CC ?= gcc
SAN ?= 0
OPT ?= -O2

ifeq ($(SAN),1)
BUILD := build-asan
BIN := bin-asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1
else
BUILD := build
BIN := bin
SANFLAGS :=
# jemalloc, as redis-server uses: less rounding waste on small objects (see
# docs/adr/004). Not with ASan, which must own malloc.
ALLOC_LIBS := -ljemalloc
ALLOC_FLAGS := -DSEALKV_JEMALLOC
endif

CFLAGS := -std=gnu11 -Wall -Wextra -Werror -g $(OPT) $(SANFLAGS) $(ALLOC_FLAGS) -D_GNU_SOURCE -MMD -MP
LDFLAGS := $(SANFLAGS)
LIBS := -lssl -lcrypto -lm

CORE_SRC := $(wildcard src/core/*.c) $(wildcard src/net/*.c) $(wildcard src/pki/*.c) \
            $(wildcard src/resp/*.c)
SERVER_SRC := $(filter-out src/server/main.c,$(wildcard src/server/*.c))
CERTS_SRC := $(wildcard src/certs/*.c)

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
SERVER_OBJ := $(SERVER_SRC:%.c=$(BUILD)/%.o)
CERTS_OBJ := $(CERTS_SRC:%.c=$(BUILD)/%.o)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

BINARIES := $(BIN)/sealkv-server $(BIN)/sealkv-certs

.PHONY: all deps run test unit integration differential asan fuzz fuzz-build bench clean format-check

all: $(BINARIES)

deps:
	@scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# Rebuilt from scratch: `ar r` never drops the object of a deleted source,
# which would then still be linked (and clash with its replacement).
$(BUILD)/libsealkv.a: $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libserver.a: $(SERVER_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN)/sealkv-server: $(BUILD)/src/server/main.o $(BUILD)/libserver.a $(BUILD)/libsealkv.a
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(ALLOC_LIBS)

$(BIN)/sealkv-certs: $(CERTS_OBJ) $(BUILD)/libsealkv.a
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# test_server_*.c test the server modules; the others only the shared library.
$(BUILD)/tests/test_server_%: tests/unit/test_server_%.c $(BUILD)/libserver.a $(BUILD)/libsealkv.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libserver.a $(BUILD)/libsealkv.a $(LIBS) -lcmocka

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libsealkv.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libsealkv.a $(LIBS) -lcmocka

unit: $(UNIT_BIN)
	@scripts/run-unit.sh $(UNIT_BIN)

integration: all
	@scripts/run-integration.sh $(BIN)

# Seeded random command streams sent to redis-server 7.0 and sealkv-server,
# replies compared one by one (tests/differential).
differential: all
	@SEALKV_BIN=$(abspath $(BIN)) /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/differential

run: deps all
	@scripts/run-demo.sh

# The whole suite: unit + integration, then the same under ASan+UBSan, then
# short fuzz runs. scripts/test.sh prints one closing summary line.
test: deps
	@scripts/test.sh

fuzz-build:
	@$(MAKE) -f fuzz/Makefile

fuzz: fuzz-build
	@scripts/run-fuzz.sh 30

bench: deps all
	@bench/run-all.sh

format-check:
	@clang-format --dry-run --Werror $(CORE_SRC) $(SERVER_SRC) $(CERTS_SRC) src/*/*.h \
	    src/server/main.c tests/unit/*.c fuzz/*.c bench/*.c && echo "format: clean" 

clean:
	rm -rf build build-asan bin bin-asan build-fuzz

-include $(CORE_OBJ:.o=.d) $(SERVER_OBJ:.o=.d) $(CERTS_OBJ:.o=.d) $(BUILD)/src/server/main.d
# Unit tests too: a change to tests/unit/server_fixture.h rebuilds them.
-include $(UNIT_BIN:=.d)
