# ckpt — process checkpoint/restart.  See README.md.
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
VERSION := 0.1.0

CC ?= gcc
PKGS := libprotobuf-c libcap libnl-genl-3.0 libnl-3.0 $(if $(STATIC),,libnftables)
# Deferred (=): "make deps check" installs pkg-config and the libraries first.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config $(if $(STATIC),--static) --libs $(PKGS) 2>/dev/null)
# STATIC=1: fully static binaries (the QEMU guest of tests/kmod has no libraries).
ifneq ($(STATIC),)
LDFLAGS += -static
endif

CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -std=gnu11 -D_GNU_SOURCE \
	  -fvisibility=hidden -DCKPT_VERSION='"$(VERSION)"' \
	  -Ilib -I$(BUILD)/proto $(PKG_CFLAGS)
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif
LDLIBS += $(PKG_LIBS) -lpthread

PROTOS := $(wildcard proto/*.proto)
PB_C := $(patsubst proto/%.proto,$(BUILD)/proto/%.pb-c.c,$(PROTOS))
PB_H := $(PB_C:.c=.h)
PB_O := $(PB_C:.c=.o)

# Static builds have no libnftables (lib/nft.h): nft-none.c stands in for nft.c.
LIB_SRC := $(filter-out lib/$(if $(STATIC),nft,nft-none).c,$(wildcard lib/*.c))
LIB_O := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))
LIB_A := $(BUILD)/libckpt.a

CLI_SRC := $(wildcard criu-lite/*.c)
CLI_O := $(patsubst criu-lite/%.c,$(BUILD)/criu-lite/%.o,$(CLI_SRC))
CKPT := $(BUILD)/ckpt

# Test programs (the processes that get checkpointed) and cmocka unit tests.
PROG_SRC := $(wildcard tests/progs/*.c)
PROGS := $(patsubst tests/progs/%.c,$(BUILD)/tests/%,$(PROG_SRC))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNITS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))

.PHONY: all check unit e2e demo bench install deps clean man-check kmod kmod-check kmod-bench static
# Generated protobuf sources are kept (no "rm" after the summary line).
.SECONDARY: $(PB_C) $(PB_H)
all: $(CKPT) $(PROGS) $(UNITS) $(BUILD)/memhog $(BUILD)/treehog

$(BUILD)/proto/%.pb-c.c $(BUILD)/proto/%.pb-c.h: proto/%.proto
	@mkdir -p $(dir $@)
	protoc-c --proto_path=proto --c_out=$(BUILD)/proto $<

$(BUILD)/proto/%.pb-c.o: $(BUILD)/proto/%.pb-c.c
	$(CC) $(CFLAGS) -Wno-extra -c -o $@ $<

$(BUILD)/lib/%.o: lib/%.c $(PB_H) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/lib/%.o: lib/%.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_O) $(PB_O) $(patsubst lib/%.S,$(BUILD)/lib/%.o,$(wildcard lib/*.S))
	ar rcs $@ $^

$(BUILD)/criu-lite/%.o: criu-lite/%.c $(PB_H) $(wildcard lib/*.h criu-lite/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icriu-lite -c -o $@ $<

$(CKPT): $(CLI_O) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $(CLI_O) $(LIB_A) $(LDLIBS)

$(BUILD)/tests/%: tests/progs/%.c tests/progs/progs.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -mavx2 -pthread $(if $(STATIC),-static) -o $@ $< -lm

# Unit tests link the library and the CLI's option parser (not main.c).
CLI_LIB_O := $(filter-out $(BUILD)/criu-lite/main.o,$(CLI_O))
$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit.h $(LIB_A) $(CLI_LIB_O)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icriu-lite -o $@ $< $(CLI_LIB_O) $(LIB_A) $(LDLIBS) -lcmocka

unit: $(UNITS)
	@tests/run-unit.sh $(UNITS)

e2e: $(CKPT) $(PROGS)
	@CKPT=$(abspath $(CKPT)) PROGS=$(abspath $(BUILD)/tests) tests/e2e/run.sh

man-check: $(CKPT)
	@tests/man-check.sh $(CKPT)

# Guest-side tools of the rig (static).
KTEST_SRC := $(wildcard tests/kmod/*.c)
KTESTS := $(patsubst tests/kmod/%.c,$(BUILD)/kmod-tests/%,$(KTEST_SRC))

# The whole suite; ends with "N passed, N failed".
check: all static $(KTESTS)
	@STATIC_BUILD=$(abspath build-static) tests/check.sh $(abspath $(BUILD))

demo: $(CKPT) $(PROGS)
	@CKPT=$(abspath $(CKPT)) PROGS=$(abspath $(BUILD)/tests) scripts/demo.sh

$(BUILD)/memhog: bench/memhog.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -o $@ $<

$(BUILD)/treehog: bench/treehog.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -pthread -o $@ $<

bench: $(CKPT) $(BUILD)/memhog $(BUILD)/treehog $(BUILD)/tests/manyfds
	@scripts/deps.sh --bench
	@CKPT=$(abspath $(CKPT)) MEMHOG=$(abspath $(BUILD)/memhog) \
		TREEHOG=$(abspath $(BUILD)/treehog) FDHOG=$(abspath $(BUILD)/tests/manyfds) bench/bench.sh

deps:
	scripts/deps.sh

# ---- kernel module (kmod/) and its QEMU test rig (tests/kmod/) ----
# The module is built from a copy in $(BUILD)/kmod (kbuild writes beside the sources).
KMOD_SRC := $(wildcard kmod/*.c kmod/*.h kmod/uapi/*.h) kmod/Kbuild kmod/Makefile
$(BUILD)/kmod/ckpt.ko: $(KMOD_SRC)
	@mkdir -p $(BUILD)/kmod/uapi
	cp kmod/*.c kmod/*.h kmod/Kbuild kmod/Makefile $(BUILD)/kmod/
	cp kmod/uapi/*.h $(BUILD)/kmod/uapi/
	$(MAKE) -C $(BUILD)/kmod
kmod: $(BUILD)/kmod/ckpt.ko

$(BUILD)/kmod-tests/%: tests/kmod/%.c kmod/uapi/ckpt_genl.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -Ikmod -static -o $@ $<

# ckpt and the test programs, statically linked, in build-static/.
static:
	$(MAKE) BUILD=build-static STATIC=1 build-static/ckpt \
		$(patsubst tests/progs/%.c,build-static/tests/%,$(PROG_SRC))

kmod-check: static $(KTESTS)
	@BUILD=$(abspath $(BUILD)) STATIC_BUILD=$(abspath build-static) tests/kmod/run.sh

kmod-bench: static $(KTESTS)
	@BUILD=$(abspath $(BUILD)) STATIC_BUILD=$(abspath build-static) tests/kmod/run.sh --bench

install: $(CKPT)
	install -D -m 0755 $(CKPT) $(DESTDIR)$(PREFIX)/sbin/ckpt
	install -D -m 0644 man/ckpt.8 $(DESTDIR)$(PREFIX)/share/man/man8/ckpt.8
	install -D -m 0644 man/ckpt-image.5 $(DESTDIR)$(PREFIX)/share/man/man5/ckpt-image.5

clean:
	rm -rf $(BUILD) build-static
