/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Small OS helpers that know nothing of the plan.  They never print; they
 * return >= 0 or -errno (STYLE rule 10/11).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Read fd to EOF (at most max bytes, else -E2BIG) into a NUL-terminated buffer. */
int aj_read_all(int fd, size_t max, void **ret_data, size_t *ret_size);
/*
 * aj_read_all() of a file from its start, through a fresh open file
 * description: fd's own offset is shared with the process that writes it
 * (the proxy's decision log, the observer's table), which left it at the end.
 */
int aj_read_all_from_start(int fd, size_t max, void **ret_data, size_t *ret_size);
/* Write all of buf, retrying on EINTR and short writes. */
int aj_write_all(int fd, const void *buf, size_t size);
/* Copy from one fd to another until EOF. */
int aj_copy_fd(int from, int to);
/* Read a small file (under /proc, /sys) relative to dirfd into buf, trimmed. */
int aj_read_small_file(int dirfd, const char *path, char *buf, size_t size);
/* Write a string to a file (/proc/<pid>/uid_map, ...) with a single write. */
int aj_write_file(int dirfd, const char *path, const char *s);
/* Close every fd >= 3 except those listed, in any order (sorted in place; no allocation). */
int aj_close_fds_except(int *keep, size_t n_keep);
/* Pass one fd over a unix socket (one byte with SCM_RIGHTS). Returns -errno. */
int aj_send_fd(int sock, int fd);
/* Receive one fd so passed (close-on-exec); -EPIPE when none came. */
int aj_recv_fd(int sock);
/* Set or clear close-on-exec. */
int aj_set_cloexec(int fd, bool on);
