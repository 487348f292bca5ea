/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * A main() for a fuzz harness in builds without libFuzzer: run every file
 * of the given corpus directories once.  A crash or a sanitizer report fails
 * the test; otherwise it prints "N passed, 0 failed".
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/log.h"
#include "fuzz.h"

int main(int argc, char **argv)
{
	unsigned n = 0;

	aj_log_set_quiet(true);
	/* The parsers' messages are expected; keep the test log readable. */
	if (!freopen("/dev/null", "w", stderr) || dup2(fileno(stderr), STDERR_FILENO) < 0)
		return 1;
	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;

		if (!d) {
			printf("cannot open %s\n", argv[i]);
			return 1;
		}
		while ((e = readdir(d))) {
			char path[4096];
			void *data;
			size_t size;
			int fd;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || aj_read_all(fd, 1u << 20, &data, &size) < 0) {
				printf("cannot read %s\n", path);
				return 1;
			}
			close(fd);
			LLVMFuzzerTestOneInput(data, size);
			free(data);
			n++;
		}
		closedir(d);
	}
	printf("%u passed, 0 failed\n", n);
	return n ? 0 : 1;
}
