#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Every helper below is shared by all reproducers; one uses only some. */
#define HELPER static __attribute__((unused))

/* The outcome, in the suite's vocabulary; printed last. */
static char outcome[256];

/* A broken step of the set-up (not of the case): no outcome, exit 1. */
HELPER void fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "harness error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

/* One line of the run's record. */
HELPER void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* The errno names the suite's tokens use (strerrorname_np's). */
HELPER const char *errname(int err)
{
	static char other[16];

	switch (err) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case EPIPE: return "EPIPE";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ENETDOWN: return "ENETDOWN";
	case ENETUNREACH: return "ENETUNREACH";
	case ECONNABORTED: return "ECONNABORTED";
	case ECONNRESET: return "ECONNRESET";
	case ENOBUFS: return "ENOBUFS";
	case EISCONN: return "EISCONN";
	case ENOTCONN: return "ENOTCONN";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case EALREADY: return "EALREADY";
	case EINPROGRESS: return "EINPROGRESS";
	case EDESTADDRREQ: return "EDESTADDRREQ";
	}
	snprintf(other, sizeof other, "E%d", err);
	return other;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Polls `ready` every millisecond until it holds, for at most WAIT_MS; a
 * wait that runs out is a harness error, never an outcome. */
HELPER void wait_until(int (*ready)(const void *), const void *arg, const char *what)
{
	long long end = now_ms() + WAIT_MS;

	while (!ready(arg)) {
		if (now_ms() > end)
			fail("waited %d s for %s", WAIT_MS / 1000, what);
		poll(NULL, 0, 1);
	}
}

/* Blocks until fd is readable (or has an error), for at most WAIT_MS. */
HELPER void wait_readable(int fd, const char *what)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long long end = now_ms() + WAIT_MS;
	int n;

	do {
		long long left = end - now_ms();

		n = poll(&p, 1, left > 0 ? (int)left : 0);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		fail("waited %d s for %s", WAIT_MS / 1000, what);
}

/* Writes a sysctl of the current network namespace (its own copy). */
HELPER void sysctl_write(const char *key, const char *value)
{
	char path[256];
	size_t n = (size_t)snprintf(path, sizeof path, "/proc/sys/%s", key);
	FILE *f;

	for (size_t i = strlen("/proc/sys/"); i < n; i++)
		if (path[i] == '.')
			path[i] = '/';
	f = fopen(path, "w");
	if (!f || fputs(value, f) == EOF || fclose(f) != 0)
		fail("sysctl %s = %s: %s", key, value, strerror(errno));
	say("sysctl: %s = %s", key, value);
}
