# deps/deps.mk -- static dependencies of the stubs (zlib, zstd, libcrypto, libarchive, cJSON).
#
# Include from the top-level Makefile; make must run in the repository root (paths are relative):
#     include deps/deps.mk
#
# Targets T: linux-x86_64 and windows-x86_64. Make variable names use the target with '-'
# replaced by '_':
#     DEPS_DIR_<t>     build/deps/<T>: include/ and lib/ with the installed headers and .a files
#     DEPS_STAMP_<t>   build/deps/<T>/.stamp: file target that runs `deps/build.sh <T>`; it is
#                      rebuilt only when deps/pins or deps/build.sh change (build.sh also checks
#                      the stamp's content and skips the build when it matches)
#     DEPS_CFLAGS_<t>  -I flags (+ -DLIBARCHIVE_STATIC -DCJSON_HIDE_SYMBOLS on windows: the
#                      libraries were built static, without dllexport/dllimport decorations)
#     DEPS_LIBS_<t>    full static link line, libraries in dependency order + system libs
# with <t> = linux_x86_64 | windows_x86_64. Example:
#     stub-linux: $(DEPS_STAMP_linux_x86_64)
#             $(CC) -static $(DEPS_CFLAGS_linux_x86_64) ... -Wl,--gc-sections $(DEPS_LIBS_linux_x86_64)
# Objects that include the deps' headers should also depend on the stamp (order matters for the
# first build). Phony helpers: deps-linux-x86_64, deps-windows-x86_64, deps-all.

# This fragment must not change the including Makefile's default goal.
_deps_saved_default_goal := $(.DEFAULT_GOAL)

DEPS_DIR_linux_x86_64   := build/deps/linux-x86_64
DEPS_DIR_windows_x86_64 := build/deps/windows-x86_64

DEPS_STAMP_linux_x86_64   := $(DEPS_DIR_linux_x86_64)/.stamp
DEPS_STAMP_windows_x86_64 := $(DEPS_DIR_windows_x86_64)/.stamp

DEPS_CFLAGS_linux_x86_64   := -I$(DEPS_DIR_linux_x86_64)/include
DEPS_CFLAGS_windows_x86_64 := -I$(DEPS_DIR_windows_x86_64)/include -DLIBARCHIVE_STATIC -DCJSON_HIDE_SYMBOLS

# libcrypto is built with no-dso (no -ldl) and no-sock (no getaddrinfo); it still uses pthreads.
DEPS_LIBS_linux_x86_64 := -L$(DEPS_DIR_linux_x86_64)/lib \
	-larchive -lzstd -lz -lcjson -lcrypto -lpthread -lm
# libcrypto (mingw64): ws2_32 gdi32 crypt32 (OpenSSL's own list; only pulled in when code that
# needs them is linked), advapi32 (CryptGenRandom, registry), user32 (MessageBox in
# OPENSSL_showfatal). libarchive (3.6.2, no CNG) needs no bcrypt. The resulting exe imports only
# KERNEL32, msvcrt, ADVAPI32 and USER32.
DEPS_LIBS_windows_x86_64 := -L$(DEPS_DIR_windows_x86_64)/lib \
	-larchive -lzstd -lz -lcjson -lcrypto \
	-lws2_32 -lgdi32 -lcrypt32 -ladvapi32 -luser32

build/deps/linux-x86_64/.stamp: deps/pins deps/build.sh
	bash deps/build.sh linux-x86_64

build/deps/windows-x86_64/.stamp: deps/pins deps/build.sh
	bash deps/build.sh windows-x86_64

.PHONY: deps-linux-x86_64 deps-windows-x86_64 deps-all
deps-linux-x86_64: $(DEPS_STAMP_linux_x86_64)
deps-windows-x86_64: $(DEPS_STAMP_windows_x86_64)
deps-all: deps-linux-x86_64 deps-windows-x86_64

.DEFAULT_GOAL := $(_deps_saved_default_goal)
