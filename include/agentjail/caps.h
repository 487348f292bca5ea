/* SPDX-License-Identifier: LGPL-2.0-or-later */
#pragma once

struct aj_run;

/* Set the capability sets the command keeps (bounding, ambient, permitted...). Logs. */
int aj_caps_drop(const struct aj_run *run);
/* Drop every capability (the reaper keeps none). Logs. */
int aj_caps_drop_all(void);
