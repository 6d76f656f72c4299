/* SPDX-License-Identifier: MIT */
/*
 * Deadlines and bounded waits on CLOCK_MONOTONIC.
 *
 * EINTR is retried everywhere in this library: a signal handler of the
 * application must not make an IPC call fail or lose data, and a timed
 * call still ends by its deadline however many signals arrive.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "sys/sys.h"

void ipctb__deadline_init(struct ipctb__deadline *d, int timeout_ms)
{
	d->forever = timeout_ms <= 0;
	clock_gettime(CLOCK_MONOTONIC, &d->at);
	if (d->forever)
		return;
	d->at.tv_sec += timeout_ms / 1000;
	d->at.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (d->at.tv_nsec >= 1000000000L) {
		d->at.tv_sec++;
		d->at.tv_nsec -= 1000000000L;
	}
}

int ipctb__deadline_left(const struct ipctb__deadline *d)
{
	if (d->forever)
		return -1;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms =
	    (long long)(d->at.tv_sec - now.tv_sec) * 1000 + (d->at.tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return 0;
	return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

bool ipctb__deadline_passed(const struct ipctb__deadline *d)
{
	return !d->forever && ipctb__deadline_left(d) == 0;
}

int ipctb__eintr_retry(const struct ipctb__deadline *d, int flags)
{
	if (!d || !ipctb__deadline_passed(d))
		return 0;
	return (flags & IPCTB_NONBLOCK) ? -EAGAIN : -ETIMEDOUT;
}

int ipctb__wait_fd(int fd, short events, int life_fd, const struct ipctb__deadline *d)
{
	for (;;) {
		struct pollfd p[2] = {
		    {.fd = fd, .events = events},
		    {.fd = life_fd, .events = POLLIN},
		};
		int r = ipctb__sys_poll(p, life_fd >= 0 ? 2 : 1, ipctb__deadline_left(d));
		if (r < 0) {
			if (errno != EINTR)
				return -errno;
			int e = ipctb__eintr_retry(d, 0);
			if (e < 0)
				return e;
			continue;
		}
		if (r == 0)
			return -ETIMEDOUT;
		if (p[0].revents)
			return p[0].revents;
		if (life_fd >= 0 && p[1].revents)
			return -EPIPE;
	}
}
