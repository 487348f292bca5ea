/* SPDX-License-Identifier: LGPL-2.0-or-later */
#pragma once

struct aj_run;

/* Before clone(): the set the command keeps (caller's for root, then --cap-*). Logs. */
int aj_caps_plan(struct aj_run *run);
/* Set the capability sets the command keeps (bounding, ambient, permitted...). Logs. */
int aj_caps_drop(const struct aj_run *run);
/* Drop every capability (the reaper keeps none). Logs. */
int aj_caps_drop_all(void);
