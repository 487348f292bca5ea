/* SPDX-License-Identifier: LGPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct aj_run;

/* Can this process create a user namespace at all?  (For the -try options.) */
bool aj_userns_available(void);
/* Write setgroups/uid_map/gid_map of the child's outer user namespace. Logs. */
int aj_userns_write_maps(const struct aj_run *run, pid_t pid);
/* In the child: leave host uid 0 for run->map_uid when root is mapped away. Logs. */
int aj_userns_switch_ids(struct aj_run *run);
/* In the child: enter the inner user namespace that maps the final ids. Logs. */
int aj_userns_enter_nested(const struct aj_run *run);
/* In a joined user namespace: become --uid/--gid, keeping capabilities. Logs. */
int aj_userns_take_joined_ids(const struct aj_run *run);
/* Log why clone() with these namespaces failed, with what to do about it. */
int aj_userns_explain_failure(int err, unsigned ns);
