/* Whether an install has anything to do: the install record against the current selection, and
 * whether a reboot a recorded install asked for is still pending. */
#ifndef IBPACK_RERUN_H
#define IBPACK_RERUN_H

#include <stddef.h>

#include "actions.h"
#include "state.h"

/* What an install run does with the record it found (c->plan, "plan" in JSON). */
#define STUB_PLAN_INSTALL   "install"           /* no record of this selection: install */
#define STUB_PLAN_ALREADY   "already_installed" /* same bundle, sequence and package: nothing runs */
#define STUB_PLAN_REINSTALL "reinstall"         /* the same, but --reinstall runs it again */

/* 1 when record says bundle m with package p was installed successfully already: the same
 * bundle name, sequence and package id. */
int stub_rerun_same(const struct stub_state_entry *record, const struct ib_manifest *m, const struct ib_package *p);

/* Sets c->plan (and, when nothing will run, c->already_installed and c->message) from the record
 * of an earlier install of this bundle name, or NULL when there is none. */
void stub_rerun_decide(struct stub_ctx *c, const struct stub_state_entry *record);

/* An install with nothing to do still reads the selected package once and checks every chunk, so
 * a damaged copy of the bundle is reported (exit 2) on every run, not only on the first. */
int stub_rerun_verify(struct stub_ctx *c);

/* The identity of the running boot under root (NULL: this machine): Linux reads
 * <root>/proc/sys/kernel/random/boot_id, Windows derives the boot time. 0 and buf set, or an
 * error when it cannot be known (buf is then ""). */
int stub_boot_id(const char *root, char *buf, size_t size);

/* 1 when the two boot ids name the same boot. Boot times (decimal seconds, Windows) are the same
 * boot within a minute: they are computed from a clock and an uptime that drift apart. */
int stub_same_boot(const char *a, const char *b);

/* 1 while the reboot record asked for has not happened: the record requires one, and its boot id
 * is the current one (or either is unknown, which cannot prove a reboot). */
int stub_reboot_pending(const struct stub_state_entry *record, const char *boot_now);

#endif
