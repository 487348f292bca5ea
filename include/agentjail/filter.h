/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The built-in seccomp filter: which system calls fail, built with
 * libseccomp and exported as classic BPF early, loaded last (STYLE rule 21).
 */
#pragma once

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct aj_blob;

/* What goes into the filter; every part is optional. */
struct aj_filter_spec {
	bool defaults;         /* the list of calls a coding agent never needs */
	bool tty_injection;    /* ioctl TIOCSTI and TIOCLINUX, matched on the low 32 bits */
	bool foreign_abi;      /* refuse i386/x32 calls wholesale (else filter them too) */
	bool io_uring;         /* io_uring_* fail with ENOSYS */
	bool nested_userns;    /* new user namespaces, setns and the mount calls fail */
	char *const *allow;    /* names whose built-in rules are dropped */
	size_t n_allow;
	char *const *deny;     /* names that fail with EPERM */
	size_t n_deny;
};

/* Does libseccomp know this system call name? */
bool aj_filter_known_name(const char *name);

/* Build the filter as BPF into ret (data malloc'd). Returns -errno; never prints. */
int aj_filter_build(const struct aj_filter_spec *spec, struct aj_blob *ret);
/* Export a libseccomp context as BPF into ret (data malloc'd). Returns -errno. */
int aj_filter_export(scmp_filter_ctx ctx, struct aj_blob *ret);
/* The same, always through libseccomp (no build-time table). */
int aj_filter_build_fresh(const struct aj_filter_spec *spec, struct aj_blob *ret);

/* Specs of switches only (no allow or deny names) have a key, 0..31; else -1. */
#define AJ_FILTER_TABLE_KEYS 32
int aj_filter_table_key(const struct aj_filter_spec *spec);
void aj_filter_spec_from_key(int key, struct aj_filter_spec *ret);

/* One line per rule ("ptrace EPERM", ...), for --explain and the docs. */
void aj_filter_describe(const struct aj_filter_spec *spec, FILE *f);
