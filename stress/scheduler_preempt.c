/* SPDX-License-Identifier: MIT */
/*
 * Preemption of code without scheduling points: a participant spinning on
 * a word whose holder is parked (a user's lock, a library without yield
 * sites) would hold the token forever. Each participant thread arms a
 * timer on its own CPU clock (CLOCK_THREAD_CPUTIME_ID, delivered to that
 * thread: SIGEV_THREAD_ID); at each tick the handler looks at the
 * participant's point count, and when no point was reached since the last
 * tick it makes one itself (event PREEMPT), which passes the token on.
 * A thread waiting for the token sleeps in FUTEX_WAIT and uses no CPU, so
 * its timer does not tick. The handler touches the block, atomics and the
 * futex system call only (async-signal-safe), and never runs inside a
 * scheduler call (sched_busy). The run is counted as preempted: its
 * schedule depends on timing, not only on its seed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scheduler_impl.h"

#define PREEMPT_SIG SIGURG

static _Thread_local struct {
	struct ipctb_sched *s;
	unsigned id;
	uint64_t seen;
	bool armed;
	timer_t timer;
} pre;

static void on_tick(int sig)
{
	(void)sig;
	int saved = errno;
	struct ipctb_sched *s = pre.s;
	if (s && !sched_busy() && pre.id < IPCTB_SCHED_MAX) {
		uint64_t pts = atomic_load_explicit(&s->p[pre.id].points, memory_order_relaxed);
		if (pts != pre.seen) {
			pre.seen = pts;
		} else if (s->holder == pre.id) {
			atomic_fetch_add(&s->preemptions, 1);
			(void)sched_point_ev(s, pre.id, s->p[pre.id].site, IPCTB_SCHED_EV_PREEMPT);
			pre.seen = atomic_load_explicit(&s->p[pre.id].points, memory_order_relaxed);
		}
	}
	errno = saved;
}

int ipctb_sched_preempt_arm(struct ipctb_sched *s, unsigned id)
{
	if (!s || !s->preempt_ms || pre.armed)
		return 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(PREEMPT_SIG, &sa, NULL) < 0)
		return -errno;
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = PREEMPT_SIG;
	ev._sigev_un._tid = gettid();
	pre.s = s;
	pre.id = id;
	pre.seen = 0;
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &pre.timer) < 0) {
		pre.s = NULL;
		return -errno;
	}
	long ns = (long)s->preempt_ms * 1000000L;
	struct itimerspec it = {{ns / 1000000000L, ns % 1000000000L},
				{ns / 1000000000L, ns % 1000000000L}};
	if (timer_settime(pre.timer, 0, &it, NULL) < 0) {
		int e = -errno;
		(void)timer_delete(pre.timer);
		pre.s = NULL;
		return e;
	}
	pre.armed = true;
	return 0;
}

void ipctb_sched_preempt_disarm(void)
{
	if (!pre.armed)
		return;
	(void)timer_delete(pre.timer);
	pre.armed = false;
	pre.s = NULL;
}
