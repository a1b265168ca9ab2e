# ibpack: the builder (build/bin/ibpack) and the self-extracting stubs (build/lib/ibpack/stub-*).
#
#   make              ibpack + the static Linux stub (the first run builds the stub's
#                     dependencies from Debian source packages: a few minutes, then cached)
#   make stub-windows the Windows stub (mingw-w64 cross build)
#   make bundle       the shipped default bundle: build/bundles/debian-rdma-core.run
#   make test         unit (cmocka) and CLI (bats) tests; prints "N passed, N failed"
#   make test-asan    the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make format-check the C sources follow .clang-format (make format rewrites them)
#   WERROR=1          turn warnings into errors (CI does)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0-dev)
BUILD ?= build
CC ?= cc
MINGW_CC ?= x86_64-w64-mingw32-gcc
# static: the stub links the libraries deps/build.sh builds from source (runs anywhere);
# system: the distribution's shared libraries (used for sanitizer runs, which cannot be static).
STUB_LINK ?= static

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2 -g
SAN_FLAGS :=
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT := -O1 -g
endif
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) $(OPT) $(SAN_FLAGS) \
	-DIBPACK_VERSION='"$(VERSION)"'
HOST_LIBS := $(shell pkg-config --libs libarchive libcjson libcrypto 2>/dev/null || echo -larchive -lcjson -lcrypto) -lm

include deps/deps.mk

# The layers, lowest first; each folder includes only the ones before it (docs/HACKING.md):
#   base/     errors, byte codecs, buffers, file primitives (no other project code)
#   signing/  the only code that includes OpenSSL (verify-only half for the stub)
#   format/   the bundle format: footer, signature block, trust area, manifest, extraction
#   policy/   package selection, PCI classification, exit codes
#   builder/  the ibpack commands          stub/  the self-extracting runtime
BASE_SRC := base/err.c base/util.c base/fs.c base/text.c
BASE_POSIX := base/fileio_posix.c base/fs_posix.c
BASE_WIN := base/fileio_win.c base/fs_win.c
VERIFY_SRC := signing/verify.c signing/cms.c
# --version: the crypto library's version (both ibpack and the stubs)
VERIFY_SRC += signing/version.c
SIGN_SRC := signing/sign.c signing/cms_sign.c
FORMAT_SRC := format/footer.c format/sigblock.c format/trust.c format/manifest.c format/pe.c format/blob_ahead.c format/file_hasher.c \
	format/bundle.c format/extract.c format/pathcheck.c format/layout.c format/spec_keys.c
# --version: the linked libraries' versions (both ibpack and the stubs)
FORMAT_SRC += format/version.c
# Windows install forms of the install object: verbatim command lines and MSI packages
FORMAT_SRC += format/install.c format/wincmd.c
FORMAT_POSIX := format/outdir_posix.c format/worker_posix.c format/truststore_posix.c
FORMAT_WIN := format/outdir_win.c format/worker_win.c
POLICY_SRC := policy/match.c policy/exitcode.c policy/pci.c
# What the stub and the builder both link: every layer below theirs.
CORE_SRC := $(BASE_SRC) $(VERIFY_SRC) $(FORMAT_SRC) $(POLICY_SRC)
CORE_POSIX := $(CORE_SRC) $(BASE_POSIX) $(FORMAT_POSIX)
CORE_WIN := $(CORE_SRC) $(BASE_WIN) $(FORMAT_WIN)

BUILDER_MAIN := builder/main.c
BUILDER_SRC := $(filter-out $(BUILDER_MAIN),$(wildcard builder/*.c))
# The stub: common logic, then one file per platform for each concern.
STUB_COMMON := stub/main.c stub/actions.c stub/result.c stub/log.c stub/host.c stub/trust_area.c stub/extension_doc.c \
	stub/guard.c stub/state.c stub/extension.c stub/root.c stub/stage.c stub/rerun.c stub/instenv.c
# BUNDLE --version: the bundle, the stub and its libraries
STUB_COMMON += stub/version.c
STUB_LINUX := $(STUB_COMMON) stub/detect_linux.c stub/run_posix.c stub/sys_posix.c stub/state_posix.c \
	stub/extension_posix.c stub/root_posix.c stub/stage_posix.c stub/root_kernel.c stub/tmpdir_posix.c \
	stub/hostinstall_posix.c stub/instenv_posix.c
STUB_WIN := $(STUB_COMMON) stub/detect_win.c stub/run_win.c stub/sys_win.c stub/state_win.c \
	stub/extension_win.c stub/root_win.c stub/stage_win.c stub/entry_win.c stub/root_kernel.c stub/hostinstall_win.c \
	stub/instenv_win.c
# Windows install forms (verbatim command line, MSI, kept sources), the Burn-style switches and
# the event log entry of a run; the POSIX file holds what Linux has instead
STUB_LINUX += stub/install_posix.c
STUB_WIN += stub/install_win.c stub/eventlog_win.c stub/burn_args.c
STUB_LINUX_MAIN := stub/entry_posix.c

# What each stub is built from (deps/buildinfo.sh, from deps/pins and the Debian patches the deps
# build applied), compiled into the stub so the signed stub hash covers it; `ibpack sbom` reads it.
STUB_INFO_L := $(BUILD)/gen/buildinfo-linux-x86_64.c
STUB_INFO_W := $(BUILD)/gen/buildinfo-windows-x86_64.c
STUB_LINUX += $(STUB_INFO_L)
STUB_WIN += $(STUB_INFO_W)

IBPACK := $(BUILD)/bin/ibpack
STUB_LINUX_BIN := $(BUILD)/lib/ibpack/stub-linux-x86_64
STUB_WIN_BIN := $(BUILD)/lib/ibpack/stub-windows-x86_64.exe
LIBIB := $(BUILD)/obj/host/libibpack.a
# The builder's and the Linux stub's logic as host libraries, so unit tests can link them.
LIBBUILDER := $(BUILD)/obj/host/libbuilder.a
LIBSTUB := $(BUILD)/obj/host/libstub.a

.PHONY: all stub-linux stub-windows test test-unit test-cli test-asan bundle clean install bench fuzz format format-check
all: $(IBPACK) $(STUB_LINUX_BIN)
stub-linux: $(STUB_LINUX_BIN)
stub-windows: $(STUB_WIN_BIN)

# ---- host objects (ibpack, unit tests) ----
HOST_OBJ = $(patsubst %.c,$(BUILD)/obj/host/%.o,$(1))
$(BUILD)/obj/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBIB): $(call HOST_OBJ,$(CORE_POSIX) $(SIGN_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBBUILDER): $(call HOST_OBJ,$(BUILDER_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBSTUB): $(call HOST_OBJ,$(STUB_LINUX))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# --version --verbose: the linked dependencies and their (Debian) versions, as a generated header
# per binary (gen/<variant>/depver.h); a build without one says "not recorded".
$(BUILD)/gen/host/depver.h: scripts/depversions.sh
	bash scripts/depversions.sh host $@
$(BUILD)/obj/host/builder/main.o $(BUILD)/obj/host/stub/main.o: $(BUILD)/gen/host/depver.h
$(BUILD)/obj/host/builder/main.o $(BUILD)/obj/host/stub/main.o: CFLAGS += -I$(BUILD)/gen/host

$(IBPACK): $(call HOST_OBJ,$(BUILDER_MAIN)) $(LIBBUILDER) $(LIBIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(HOST_LIBS)

# ---- Linux stub: verification only (no signing code), static by default ----
STUB_L_OBJ = $(patsubst %.c,$(BUILD)/obj/stub-linux/%.o,$(1))
ifeq ($(STUB_LINK),static)
STUB_L_CFLAGS := $(DEPS_CFLAGS_linux_x86_64) -ffunction-sections -fdata-sections
STUB_L_LDFLAGS := -static -Wl,--gc-sections $(DEPS_LIBS_linux_x86_64)
STUB_L_DEPS := $(DEPS_STAMP_linux_x86_64)
else
STUB_L_CFLAGS :=
STUB_L_LDFLAGS := $(HOST_LIBS)
STUB_L_DEPS :=
endif
$(BUILD)/obj/stub-linux/%.o: %.c | $(STUB_L_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(STUB_L_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/stub-linux/depver.h: scripts/depversions.sh $(STUB_L_DEPS)
	bash scripts/depversions.sh $(if $(STUB_L_DEPS),$(DEPS_DIR_linux_x86_64)/versions.tsv,host) $@
$(BUILD)/obj/stub-linux/stub/main.o: $(BUILD)/gen/stub-linux/depver.h
$(BUILD)/obj/stub-linux/stub/main.o: CFLAGS += -I$(BUILD)/gen/stub-linux

$(STUB_LINUX_BIN): $(call STUB_L_OBJ,$(STUB_LINUX) $(STUB_LINUX_MAIN) $(CORE_POSIX)) $(STUB_L_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -o $@ $(filter %.o,$^) $(STUB_L_LDFLAGS)
ifeq ($(STUB_LINK),static)
	cp $@ $(BUILD)/obj/stub-linux/stub-linux-x86_64.debug
	strip --strip-unneeded $@
endif

# Regenerated on every make (the patch list may appear after a deps build, or change with it) but
# rewritten only when its content changes, so an unchanged stub is not relinked.
define gen_buildinfo
	@mkdir -p $(dir $@)
	@bash deps/buildinfo.sh $(1) $(VERSION) $(2) deps/pins $(3)/applied-patches.tsv >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
endef
$(STUB_INFO_L): FORCE | $(STUB_L_DEPS)
	$(call gen_buildinfo,linux-x86_64,$(STUB_LINK),$(DEPS_DIR_linux_x86_64))
$(STUB_INFO_W): FORCE | $(DEPS_STAMP_windows_x86_64)
	$(call gen_buildinfo,windows-x86_64,static,$(DEPS_DIR_windows_x86_64))
.PHONY: FORCE
FORCE:

# ---- Windows stub: cross-compiled with mingw-w64 against the same recipe ----
WIN_CFLAGS := -std=c11 -D_WIN32_WINNT=0x0602 -DUNICODE -D_UNICODE -D__USE_MINGW_ANSI_STDIO=1 \
	$(WARN) -O2 -DIBPACK_VERSION='"$(VERSION)"' $(DEPS_CFLAGS_windows_x86_64)
# -municode: the entry point is wmain (UTF-16 arguments). ASLR, DEP and high-entropy ASLR are
# asked for explicitly; no timestamp, so the same sources give the same stub (and stub hash).
# Stripped by the linker (-s): a separate strip would write the current time into the header.
WIN_LDFLAGS := -static -municode -s -Wl,--dynamicbase,--nxcompat,--high-entropy-va,--no-insert-timestamp
# Only KnownDLLs are imported (the loader never looks for them next to the bundle): SetupAPI
# for devices, ntdll for relative NtCreateFile; bcrypt.dll is loaded from System32 at run time.
WIN_SYSLIBS := -lsetupapi -ladvapi32 -lntdll
STUB_W_OBJ = $(patsubst %.c,$(BUILD)/obj/stub-win/%.o,$(1))
$(BUILD)/obj/stub-win/%.o: %.c | $(DEPS_STAMP_windows_x86_64)
	@mkdir -p $(dir $@)
	$(MINGW_CC) $(WIN_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/stub-win/depver.h: scripts/depversions.sh $(DEPS_STAMP_windows_x86_64)
	bash scripts/depversions.sh $(DEPS_DIR_windows_x86_64)/versions.tsv $@
$(BUILD)/obj/stub-win/stub/main.o: $(BUILD)/gen/stub-win/depver.h
$(BUILD)/obj/stub-win/stub/main.o: WIN_CFLAGS += -I$(BUILD)/gen/stub-win

$(STUB_WIN_BIN): $(call STUB_W_OBJ,$(STUB_WIN) $(CORE_WIN)) $(DEPS_STAMP_windows_x86_64)
	@mkdir -p $(dir $@)
	$(MINGW_CC) $(WIN_LDFLAGS) -o $@ $(filter %.o,$^) $(DEPS_LIBS_windows_x86_64) $(WIN_SYSLIBS)

# ---- tests ----
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
# Unit tests link the builder's and the stub's logic too (the linker takes only what they use).
$(BUILD)/tests/%: tests/unit/%.c $(LIBBUILDER) $(LIBSTUB) $(LIBIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -pthread -o $@ $< $(LIBBUILDER) $(LIBSTUB) $(LIBIB) $(HOST_LIBS) -lcmocka

# ---- fuzz targets: replayed over their corpora in every test run; make fuzz runs libFuzzer ----
FUZZ_TARGETS := footer sigblock manifest spec extract state
FUZZ_REPLAY := $(patsubst %,$(BUILD)/tests/fuzzreplay_%,$(FUZZ_TARGETS))
$(BUILD)/tests/fuzzreplay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIBSTUB) $(LIBIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Wno-missing-prototypes -o $@ $< tests/fuzz/replay.c $(LIBSTUB) $(LIBIB) $(HOST_LIBS)

$(BUILD)/fuzz/corpus/.stamp: tests/fuzz/mkcorpus.sh $(IBPACK) $(STUB_LINUX_BIN)
	rm -rf $(BUILD)/fuzz/corpus && bash tests/fuzz/mkcorpus.sh $(IBPACK) $(BUILD)/fuzz/corpus
	touch $@

FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -g -O1 -fsanitize=fuzzer,address,undefined
FUZZ_LIB_SRC := $(CORE_POSIX) $(STUB_LINUX)
fuzz: $(BUILD)/fuzz/corpus/.stamp
	@for t in $(FUZZ_TARGETS); do \
		clang $(FUZZ_CFLAGS) -o $(BUILD)/fuzz/fuzz_$$t tests/fuzz/fuzz_$$t.c $(FUZZ_LIB_SRC) $(HOST_LIBS) || exit 1; \
		mkdir -p $(BUILD)/fuzz/work/$$t; \
		echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
		$(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=1048576 -artifact_prefix=$(BUILD)/fuzz/crash-$$t- \
			$(BUILD)/fuzz/work/$$t $(BUILD)/fuzz/corpus/$$t >$(BUILD)/fuzz/$$t.log 2>&1 || { tail -30 $(BUILD)/fuzz/$$t.log; exit 1; }; \
		tail -1 $(BUILD)/fuzz/$$t.log; \
	done

test: all stub-windows $(UNIT_TESTS) $(FUZZ_REPLAY) $(BUILD)/fuzz/corpus/.stamp
	@BUILD=$(BUILD) bash tests/run.sh

test-unit: $(UNIT_TESTS)
	@BUILD=$(BUILD) bash tests/run.sh unit

test-cli: all
	@BUILD=$(BUILD) bash tests/run.sh cli

test-asan:
	IBPACK_SKIP_E2E=1 $(MAKE) BUILD=build/asan SAN=1 STUB_LINK=system test

# ---- the stub's main paths under valgrind memcheck (needs a dynamically linked stub) ----
VALGRIND_BUILD ?= build/valgrind
.PHONY: test-valgrind
test-valgrind:
	$(MAKE) BUILD=$(VALGRIND_BUILD) STUB_LINK=system OPT='-O1 -g' all
	IBPACK_BUILD=$(CURDIR)/$(VALGRIND_BUILD) bats tests/valgrind/stub.bats

# ---- the house style (.clang-format): make format rewrites, make format-check only checks ----
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: $(words $(FORMAT_FILES)) files follow .clang-format"

clean:
	rm -rf $(BUILD)/bin $(BUILD)/lib $(BUILD)/obj $(BUILD)/gen $(BUILD)/tests $(BUILD)/asan

# ---- make install / uninstall (DESTDIR, PREFIX); make deb: Debian packages in $(BUILD)/deb ----
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
STUBDIR ?= $(PREFIX)/lib/ibpack
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/ibpack
# the stubs' library licenses (Debian: the ibpack-stubs package's doc dir)
STUB_LICENSEDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/share/doc/ibpack-stubs/licenses,$(DOCDIR)/stub-licenses)
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# zsh reads vendor-completions on Debian for /usr, site-functions elsewhere
ZSHCOMPDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)
MAN1 := man/ibpack.1 man/ibpack-bundle.1
MAN5 := man/ibpack-spec.5 man/ibpack-format.5
DOCS := README.md $(wildcard docs/*.md)
EXAMPLES := bundles/README.md $(wildcard bundles/*.json) bundles/matrix-expected.tsv
EXAMPLES_RDMA := bundles/debian-rdma-core/packages bundles/debian-rdma-core/install.sh

.PHONY: uninstall deb
install: all
	install -D -m 0755 $(IBPACK) $(DESTDIR)$(BINDIR)/ibpack
	install -D -m 0755 $(STUB_LINUX_BIN) $(DESTDIR)$(STUBDIR)/stub-linux-x86_64
	if [ -f $(STUB_WIN_BIN) ]; then install -D -m 0644 $(STUB_WIN_BIN) $(DESTDIR)$(STUBDIR)/stub-windows-x86_64.exe; fi
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
		$(DESTDIR)$(DOCDIR)/examples/debian-rdma-core
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 completion/ibpack.bash $(DESTDIR)$(BASHCOMPDIR)/ibpack
	install -m 0644 completion/_ibpack $(DESTDIR)$(ZSHCOMPDIR)/_ibpack
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 bundles/debian-rdma-core/packages $(DESTDIR)$(DOCDIR)/examples/debian-rdma-core/
	install -m 0755 bundles/debian-rdma-core/install.sh $(DESTDIR)$(DOCDIR)/examples/debian-rdma-core/
	for d in build/deps/linux-x86_64/share/licenses/*/; do [ -d "$$d" ] || continue; \
		install -d $(DESTDIR)$(STUB_LICENSEDIR)/$$(basename $$d) && \
		install -m 0644 $$d* $(DESTDIR)$(STUB_LICENSEDIR)/$$(basename $$d)/ || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ibpack $(DESTDIR)$(STUBDIR)/stub-linux-x86_64 $(DESTDIR)$(STUBDIR)/stub-windows-x86_64.exe \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5))) \
		$(DESTDIR)$(BASHCOMPDIR)/ibpack $(DESTDIR)$(ZSHCOMPDIR)/_ibpack
	rm -rf $(DESTDIR)$(DOCDIR) $(DESTDIR)$(STUB_LICENSEDIR)
	-rmdir $(DESTDIR)$(STUBDIR) 2>/dev/null

# dpkg-buildpackage -b -us -uc on a copy of the tree (debian/changelog written from VERSION),
# reusing build/deps; the .deb files land in $(BUILD)/deb, checked by lintian when installed.
deb:
	bash scripts/make-deb.sh $(BUILD)/deb

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- the shipped default bundle ----
KEY ?= $(BUILD)/keys/dev.key
RDMA_DIR := bundles/vendor/debian-rdma-core
bundle: all
	bash scripts/fetch-debs.sh bundles/debian-rdma-core/packages bundles/debian-rdma-core/install.sh $(RDMA_DIR)
	@if [ ! -f $(KEY) ]; then mkdir -p $(dir $(KEY)) && $(IBPACK) keygen -o $(basename $(KEY)) && \
		echo "NOTE: generated a development key $(KEY); pass KEY=your.key for real bundles"; fi
	@mkdir -p $(BUILD)/bundles
	$(IBPACK) build bundles/debian-rdma-core.json -k $(KEY) -o $(BUILD)/bundles/debian-rdma-core.run
	$(IBPACK) verify --trust $(basename $(KEY)).pub $(BUILD)/bundles/debian-rdma-core.run
	@echo "--- what the bundle would do on this machine ($(BUILD)/bundles/debian-rdma-core.run --detect):"
	@$(BUILD)/bundles/debian-rdma-core.run --detect; rc=$$?; echo "(exit code $$rc: 0 = would install, 11 = no InfiniBand device, 12 = OS not supported)"

# ---- the driver matrices shown in README.md and docs/SPEC.md (ibpack matrix --format markdown) ----
.PHONY: docs-matrix
docs-matrix: $(IBPACK)
	bash scripts/docs-matrix.sh $(IBPACK)

# ---- benchmarks (not tests): BENCH_QUICK=1 for a tiny smoke run ----
bench: all
	bash scripts/setup.sh bench
	bash tests/bench/bench.sh $(BUILD)
