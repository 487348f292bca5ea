/* SPDX-License-Identifier: LGPL-2.0-or-later */
#pragma once

/* Bring the loopback interface of the current network namespace up. Logs. */
int aj_net_loopback_up(void);
