/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Scope-bound ownership of heap memory and file descriptors.
 *
 * A variable declared with one of these attributes is released when it goes
 * out of scope; TAKE_PTR()/TAKE_FD() hand ownership to the caller and leave
 * the variable empty so the destructor does nothing.  File descriptors start
 * at -EBADF so "not open" is never confused with fd 0.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void aj_freep(void *p)
{
	free(*(void **)p);
}

static inline void aj_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		(void)close(*fd); /* nothing useful to do on failure of a close */
		errno = saved;
	}
}

static inline void aj_fclosep(FILE **f)
{
	if (*f)
		(void)fclose(*f);
}

/* Free a NULL-terminated array of strings. */
static inline void aj_strv_freep(char ***v)
{
	if (*v) {
		for (char **p = *v; *p; p++)
			free(*p);
		free(*v);
	}
}

#define _cleanup_free_ _cleanup_(aj_freep)
#define _cleanup_close_ _cleanup_(aj_closep)
#define _cleanup_fclose_ _cleanup_(aj_fclosep)
#define _cleanup_strv_free_ _cleanup_(aj_strv_freep)

#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _taken = (p);  \
		(p) = NULL;                  \
		_taken;                      \
	})

#define TAKE_FD(fd)                  \
	({                           \
		int _taken = (fd);   \
		(fd) = -EBADF;       \
		_taken;              \
	})

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
