/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * A new network namespace starts with "lo" down.  Setting it up is enough:
 * the kernel then gives it 127.0.0.1/8 and ::1 itself, which is what bwrap's
 * netlink setup ends with too.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "agentjail/log.h"
#include "agentjail/net.h"
#include "cleanup.h"

int aj_net_loopback_up(void)
{
	_cleanup_close_ int fd = -EBADF;
	struct ifreq ifr;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return aj_err(-errno, "loopback: Failed to create socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return aj_err(-errno, "loopback: Failed to look up lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return aj_err(-errno, "loopback: Failed to bring lo up");
	return 0;
}
