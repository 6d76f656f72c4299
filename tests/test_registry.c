/* SPDX-License-Identifier: MIT */
/*
 * The registry of every kind (ipctb/registry.h): the built-in tables of
 * each kind, the ABI check, the checks of scheme and decoder tables,
 * registration from many threads at once; the one built-in sync scheme,
 * "spin", through its ops table; and what an implementation sees of the
 * opaque channel. The transport registry's older cases (plug-in,
 * duplicates, bad names, full) are in test_chan.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipctb/ipctb.h"
#include "leakcheck.h"
#include "registry_race.h"

/* Forked rounds of the race: each child starts with a fresh registry.
 * Against the old registry (name check and insert in two critical
 * sections) 10 to 100 % of the rounds failed on 2 busy CPUs; 30 make a
 * miss all but impossible. */
#define RACE_ROUNDS 30
#define CHILD_MS 20000

LEAK_TEST(registry_kinds, builtins_of_every_kind)
{
	cr_assert_eq(ipctb_registry_count(IPCTB_KIND_TRANSPORT), 11);
	cr_assert_geq(ipctb_registry_count(IPCTB_KIND_SCHEME), 1);
	cr_assert_geq(ipctb_registry_count(IPCTB_KIND_DECODER), 1);
	const struct ipctb_lock_ops *spin = ipctb_registry_find(IPCTB_KIND_SCHEME, "spin");
	cr_assert_not_null(spin);
	cr_assert_eq(spin->abi, IPCTB_ABI_VERSION);
	cr_assert(spin->caps & IPCTB_LOCK_CAP_EXCLUSIVE);
	cr_assert_null(spin->broken);
	const struct ipctb_decoder_ops *frame = ipctb_registry_find(IPCTB_KIND_DECODER, "frame");
	cr_assert_not_null(frame);
	cr_assert_eq(frame->decode, ipctb_frame_decode);
	cr_assert_eq(frame->encode, ipctb_frame_encode);
	/* Names are per kind: "spin" is no transport, "pipe" no scheme. */
	cr_assert_null(ipctb_registry_find(IPCTB_KIND_TRANSPORT, "spin"));
	cr_assert_null(ipctb_registry_find(IPCTB_KIND_SCHEME, "pipe"));
	cr_assert_str_eq(ipctb_kind_name(IPCTB_KIND_TRANSPORT), "transport");
	cr_assert_str_eq(ipctb_kind_name(IPCTB_KIND_SCHEME), "scheme");
	cr_assert_str_eq(ipctb_kind_name(IPCTB_KIND_DECODER), "decoder");
}

LEAK_TEST(registry_kinds, not_a_kind)
{
	enum ipctb_kind bad[] = {IPCTB_KIND_COUNT, (enum ipctb_kind) - 1, (enum ipctb_kind)99};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(ipctb_registry_count(bad[i]), 0);
		cr_assert_null(ipctb_registry_at(bad[i], 0));
		cr_assert_null(ipctb_registry_find(bad[i], "pipe"));
		cr_assert_null(ipctb_kind_name(bad[i]));
	}
	cr_assert_null(ipctb_registry_find(IPCTB_KIND_SCHEME, NULL));
	cr_assert_null(
	    ipctb_registry_at(IPCTB_KIND_DECODER, ipctb_registry_count(IPCTB_KIND_DECODER)));
}

/* The error and its detail: the kind, the entry's name, the version it
 * carries and the one expected. */
static void assert_abi_refused(int r, const char *kind, const char *name, unsigned abi)
{
	char want[160];
	cr_assert_eq(r, -IPCTB_EABI, "%s %s with ABI %u: %d (%s)", kind, name, abi, r,
		     ipctb_strerror(r));
	cr_assert_str_eq(ipctb_strerror(r), "ops table built for another ABI version");
	snprintf(want, sizeof(want),
		 "%s '%s': ops table of ABI version %u, this library expects version %u", kind,
		 name, abi, IPCTB_ABI_VERSION);
	cr_assert_str_eq(ipctb_errdetail(), want);
}

LEAK_TEST(registry_kinds, wrong_abi_refused)
{
	const unsigned wrong[] = {0, IPCTB_ABI_VERSION + 1, ~0u};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		struct ipctb_chan_ops t = *(const struct ipctb_chan_ops *)ipctb_registry_find(
		    IPCTB_KIND_TRANSPORT, "pipe");
		t.name = "old_pipe";
		t.abi = wrong[i];
		assert_abi_refused(ipctb_register_transport(&t), "transport", "old_pipe", wrong[i]);
		cr_assert_null(ipctb_registry_find(IPCTB_KIND_TRANSPORT, "old_pipe"));
		/* A table handed straight to the channel API is checked too. */
		struct ipctb_chan *ch = NULL;
		cr_assert_eq(ipctb_chan_create_ops(&t, NULL, &ch), -IPCTB_EABI);
		cr_assert_null(ch);
		assert_abi_refused(-IPCTB_EABI, "transport", "old_pipe", wrong[i]);

		struct ipctb_lock_ops s =
		    *(const struct ipctb_lock_ops *)ipctb_registry_find(IPCTB_KIND_SCHEME, "spin");
		s.name = "old_spin";
		s.abi = wrong[i];
		assert_abi_refused(ipctb_register_scheme(&s), "scheme", "old_spin", wrong[i]);

		struct ipctb_decoder_ops d = *(const struct ipctb_decoder_ops *)ipctb_registry_find(
		    IPCTB_KIND_DECODER, "frame");
		d.name = "old_frame";
		d.abi = wrong[i];
		assert_abi_refused(ipctb_register_decoder(&d), "decoder", "old_frame", wrong[i]);
	}
	/* The same tables with the right version go in. */
	static struct ipctb_lock_ops s;
	s = *(const struct ipctb_lock_ops *)ipctb_registry_find(IPCTB_KIND_SCHEME, "spin");
	s.name = "new_spin";
	cr_assert_eq(ipctb_register_scheme(&s), 0);
	cr_assert_eq(ipctb_registry_find(IPCTB_KIND_SCHEME, "new_spin"), &s);
}

LEAK_TEST(registry_kinds, bad_scheme_and_decoder_tables)
{
	const struct ipctb_lock_ops *spin = ipctb_registry_find(IPCTB_KIND_SCHEME, "spin");
	size_t before = ipctb_registry_count(IPCTB_KIND_SCHEME);
	cr_assert_eq(ipctb_register_scheme(NULL), -EINVAL);
	for (int k = 0; k < 9; k++) {
		struct ipctb_lock_ops s = *spin;
		s.name = "holey";
		switch (k) {
		case 0:
			s.init = NULL;
			break;
		case 1:
			s.lock = NULL;
			break;
		case 2:
			s.unlock = NULL;
			break;
		case 3:
			s.destroy = NULL;
			break;
		case 4:
			s.state_size = 0;
			break;
		case 5:
			s.state_align = 0;
			break;
		case 6:
			s.state_align = 24;
			break;
		case 7:
			s.state_align = 8192;
			break;
		case 8:
			s.recovery = (enum ipctb_lock_recovery)7;
			break;
		}
		cr_assert_eq(ipctb_register_scheme(&s), -EINVAL, "scheme hole %d accepted", k);
		cr_assert(strstr(ipctb_errdetail(), "scheme 'holey'"), "detail: %s",
			  ipctb_errdetail());
	}
	struct ipctb_lock_ops s = *spin;
	s.name = "Bad-Name";
	cr_assert_eq(ipctb_register_scheme(&s), -EINVAL);
	cr_assert_eq(ipctb_register_scheme(spin), -EEXIST);
	cr_assert_str_eq(ipctb_errdetail(), "scheme 'spin' is already registered");
	cr_assert_eq(ipctb_registry_count(IPCTB_KIND_SCHEME), before);

	const struct ipctb_decoder_ops *frame = ipctb_registry_find(IPCTB_KIND_DECODER, "frame");
	cr_assert_eq(ipctb_register_decoder(NULL), -EINVAL);
	struct ipctb_decoder_ops d = *frame;
	d.name = "holey";
	d.decode = NULL;
	cr_assert_eq(ipctb_register_decoder(&d), -EINVAL);
	d = *frame;
	d.name = "holey";
	d.encode = NULL;
	cr_assert_eq(ipctb_register_decoder(&d), -EINVAL);
	cr_assert_eq(ipctb_register_decoder(frame), -EEXIST);
	cr_assert_null(ipctb_registry_find(IPCTB_KIND_DECODER, "holey"));
}

/* Rounds of the race in forked children (each a fresh registry): the
 * child reports through its exit code and a pipe, never a cr_ assertion. */
LEAK_TEST(registry_kinds, concurrent_registration_one_winner, .timeout = 120)
{
	for (int round = 0; round < RACE_ROUNDS; round++) {
		int p[2];
		cr_assert_eq(pipe(p), 0);
		fflush(NULL);
		pid_t pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			char msg[256];
			close(p[0]);
			int r = registry_race(0, msg, sizeof(msg));
			(void)!write(p[1], msg, strlen(msg) + 1);
			_exit(r == 0 ? 0 : 1);
		}
		close(p[1]);
		int code = test_exit_code(test_reap(pid, CHILD_MS));
		char msg[256] = "";
		(void)!read(p[0], msg, sizeof(msg) - 1);
		close(p[0]);
		cr_assert_eq(code, 0, "round %d: %s", round, msg[0] ? msg : "child died");
	}
}

/* ---- the "spin" scheme through its table ------------------------------ */

struct spin_arg {
	const struct ipctb_lock_ops *ops;
	void *state;
	int lock_r, unlock_r;
	long waited_ms;
};

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Another thread: the lock is held, so a timed lock times out (within
 * bounds) and an unlock by this non-holder is refused. */
static void *spin_other(void *arg)
{
	struct spin_arg *a = arg;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	a->lock_r = a->ops->lock(a->state, NULL, IPCTB_LOCK_WRITE, 50);
	a->waited_ms = ms_since(&t0);
	a->unlock_r = a->ops->unlock(a->state, NULL, IPCTB_LOCK_WRITE);
	return NULL;
}

LEAK_TEST(registry_kinds, spin_scheme_excludes_and_times_out)
{
	const struct ipctb_lock_ops *ops = ipctb_registry_find(IPCTB_KIND_SCHEME, "spin");
	cr_assert_not_null(ops);
	cr_assert_leq(ops->state_size, 64);
	static alignas(64) unsigned char state[64];
	memset(state, 0, sizeof(state));
	cr_assert_eq(ops->init(state, NULL), 0);
	cr_assert_eq(ops->lock(state, NULL, IPCTB_LOCK_WRITE, 0), 0);
	/* Held: a try fails at once, even by the holder (not recursive). */
	cr_assert_eq(ops->lock(state, NULL, IPCTB_LOCK_READ, 0), -ETIMEDOUT);
	struct spin_arg a = {.ops = ops, .state = state};
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, spin_other, &a), 0);
	pthread_join(th, NULL);
	cr_assert_eq(a.lock_r, -ETIMEDOUT);
	cr_assert_geq(a.waited_ms, 45, "timed out after %ld ms", a.waited_ms);
	cr_assert_lt(a.waited_ms, 5000, "timed out after %ld ms", a.waited_ms);
	cr_assert_eq(a.unlock_r, -EPERM);
	cr_assert_eq(ops->unlock(state, NULL, IPCTB_LOCK_WRITE), 0);
	cr_assert_eq(ops->unlock(state, NULL, IPCTB_LOCK_WRITE), -EPERM);
	/* Free again: the other thread gets it, and gives it back. */
	a = (struct spin_arg){.ops = ops, .state = state};
	cr_assert_eq(pthread_create(&th, NULL, spin_other, &a), 0);
	pthread_join(th, NULL);
	cr_assert_eq(a.lock_r, 0);
	cr_assert_eq(a.unlock_r, 0);
	cr_assert_eq(ops->destroy(state), 0);
	char buf[96];
	cr_assert_str_eq(ipctb_lock_caps_str(ops->caps, buf, sizeof(buf)), "exclusive,memory");
	cr_assert_str_eq(ipctb_lock_recovery_str(ops->recovery), "none");
}

LEAK_TEST(registry_kinds, lock_caps_names)
{
	char buf[96], small[8];
	cr_assert_str_eq(ipctb_lock_caps_str(0, buf, sizeof(buf)), "");
	cr_assert_str_eq(ipctb_lock_caps_str(0x3f, buf, sizeof(buf)),
			 "exclusive,shared,robust,kernel,file,named");
	cr_assert_str_eq(ipctb_lock_caps_str(0x3c0, buf, sizeof(buf)),
			 "optimistic,pair,address,memory");
	/* A short buffer holds what fits, terminated. */
	cr_assert_str_eq(ipctb_lock_caps_str(0x3f, small, sizeof(small)), "exclusi");
	cr_assert_str_eq(ipctb_lock_recovery_str(IPCTB_LOCK_RECOVER_RELEASE), "release");
	cr_assert_str_eq(ipctb_lock_recovery_str(IPCTB_LOCK_RECOVER_OWNERDEAD), "ownerdead");
	cr_assert_str_eq(ipctb_lock_recovery_str((enum ipctb_lock_recovery)9), "?");
}

/* ---- an implementation's view of the (opaque) channel ----------------- */

static struct {
	size_t opts_max, chan_max;
	int timeout;
	enum ipctb_end end;
	void *impl_during_create;
} seen;
static int state_token;

static int view_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o, void **impl)
{
	seen.opts_max = o->max_msg;
	seen.chan_max = ipctb_chan_max_msg(ch);
	seen.timeout = ipctb_chan_timeout_ms(ch);
	seen.end = ipctb_chan_end(ch);
	seen.impl_during_create = ipctb_chan_impl(ch);
	*impl = &state_token;
	return 0;
}

static int view_set_end(struct ipctb_chan *ch, enum ipctb_end end)
{
	(void)end;
	return ipctb_chan_impl(ch) == &state_token ? 0 : -EFAULT;
}

static int view_send(struct ipctb_chan *ch, const void *b, size_t n, int f)
{
	(void)b, (void)n, (void)f;
	return ipctb_chan_impl(ch) == &state_token ? 0 : -EFAULT;
}

static int view_recv(struct ipctb_chan *ch, void *b, size_t cap, size_t *n, int f)
{
	(void)ch, (void)b, (void)cap, (void)n, (void)f;
	return -EAGAIN;
}

static void view_close(struct ipctb_chan *ch)
{
	(void)ch;
}

static int view_destroy(struct ipctb_chan *ch)
{
	(void)ch;
	return 0;
}

static int view_objects(struct ipctb_chan *ch, struct ipctb_obj *out, size_t cap)
{
	(void)ch, (void)out, (void)cap;
	return 0;
}

static const struct ipctb_chan_ops view_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "view",
    .summary = "test only: records what create sees",
    .max_msg = 4096,
    .create = view_create,
    .set_end = view_set_end,
    .send = view_send,
    .recv = view_recv,
    .close = view_close,
    .destroy = view_destroy,
    .objects = view_objects,
};

/* create sees the limit the core settled on (the caller's, else the
 * table's) and no state yet; the state it hands back is what every later
 * call gets; the end is the core's to keep. */
LEAK_TEST(chan_impl, state_handed_back_not_written)
{
	struct ipctb_chan *ch = NULL;
	struct ipctb_chan_opts o = {.timeout_ms = 1234};
	cr_assert_eq(ipctb_chan_create_ops(&view_ops, &o, &ch), 0);
	cr_assert_eq(seen.opts_max, 4096);
	cr_assert_eq(seen.chan_max, 4096);
	cr_assert_eq(seen.timeout, 1234);
	cr_assert_eq(seen.end, IPCTB_END_BOTH);
	cr_assert_null(seen.impl_during_create);
	cr_assert_eq(ipctb_chan_impl(ch), &state_token);
	cr_assert_eq(ipctb_chan_send(ch, "x", 1, 0), 0);
	cr_assert_eq(ipctb_chan_set_end(ch, IPCTB_END_TX), 0);
	cr_assert_eq(ipctb_chan_end(ch), IPCTB_END_TX);
	cr_assert_eq(ipctb_chan_destroy(ch), 0);

	o.max_msg = 100;
	cr_assert_eq(ipctb_chan_create_ops(&view_ops, &o, &ch), 0);
	cr_assert_eq(seen.opts_max, 100);
	cr_assert_eq(ipctb_chan_max_msg(ch), 100);
	ipctb_chan_close(ch);

	cr_assert_null(ipctb_chan_impl(NULL));
	cr_assert_eq(ipctb_chan_timeout_ms(NULL), 0);
	cr_assert_eq(ipctb_chan_end(NULL), IPCTB_END_BOTH);
}
