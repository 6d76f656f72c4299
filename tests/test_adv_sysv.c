/* SPDX-License-Identifier: MIT */
/*
 * Adversarial tests of what counts as our SysV object (issue 9, findings 4
 * and 5): crash recovery must not remove another user's object made between
 * the snapshot and the recovery, and IPCTB_PRIVATE_NS=1 in the environment
 * must not make every SysV object "ours" for the leak checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adversary.h"
#include "sys/sys.h"
#include "ipctb/ledger.h"
#include "ipctb/recover.h"
#include "ipctb/leak.h"

/* What the attacker made, in memory shared with root. */
struct made {
	int priv, keyed;
};

static int attacker_queues(void *arg)
{
	struct made *m = arg;
	m->priv = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	m->keyed = msgget((key_t)0x1badcafe, IPC_CREAT | IPC_EXCL | 0600);
	return m->priv < 0 || m->keyed < 0 ? adv_fail("msgget: %s", strerror(errno)) : 0;
}

static bool queue_exists(int id)
{
	struct msqid_ds ds;
	return msgctl(id, IPC_STAT, &ds) == 0;
}

/* A root queue handed over to 65534 (cuid stays root, uid does not). */
static int given_away(void)
{
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	struct msqid_ds ds;
	if (id < 0 || msgctl(id, IPC_STAT, &ds) < 0)
		return -1;
	ds.msg_perm.uid = ADV_NOBODY;
	return msgctl(id, IPC_SET, &ds) < 0 ? -1 : id;
}

static int recovery(void *arg)
{
	(void)arg;
	struct made *m =
	    mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return adv_fail("mmap: %s", strerror(errno));
	struct ipctb_snapshot before, removed;
	if (ipctb_snapshot_take(&before, IPCTB_SCAN_SYSV) < 0)
		return adv_fail("snapshot");
	/* A root process killed between its create and the record: an
	 * unresolved intent in its ledger and a queue nobody recorded. */
	adv_step("a root child leaves an intent and an unrecorded queue");
	pid_t pid = fork();
	if (pid == 0) {
		ipctb__ledger_intent(IPCTB_OBJ_SYSV_MSG);
		_exit(msgget(IPC_PRIVATE, IPC_CREAT | 0600) < 0 ? 1 : 0);
	}
	if (pid < 0 || test_exit_code(test_reap(pid, 5000)) != 0)
		return adv_fail("the root child failed");
	adv_step("the attacker makes queues");
	if (adv_as(ADV_NOBODY, attacker_queues, m, 5000) != 0)
		return adv_fail("the attacker could not make its queues");
	int away = given_away();
	if (away < 0)
		return adv_fail("cannot give a queue away: %s", strerror(errno));
	adv_step("ipctb_recover");
	int n = ipctb_recover(pid, &before, &removed);
	char list[2048];
	ipctb_snapshot_format(&removed, list, sizeof(list));
	adv_say("recover(%ld) = %d, removed:\n%s", (long)pid, n, list);
	ipctb_snapshot_free(&removed);
	ipctb_snapshot_free(&before);
	if (!queue_exists(m->priv) || !queue_exists(m->keyed))
		return adv_fail("recovery removed the attacker's queue (%d, %d)", m->priv,
				m->keyed);
	if (!queue_exists(away))
		return adv_fail("recovery removed queue %d, owned by uid 65534", away);
	/* Positive control: the dead child's own queue did go. */
	return n == 1 ? 0 : adv_fail("recovery removed %d objects, want 1 (the child's)", n);
}

Test(adv_sysv, recovery_spares_other_users_objects, .timeout = 60)
{
	ADV_RUN(recovery, NULL, 30000);
}

/* IPCTB_PRIVATE_NS=1 in a namespace ipctb_private_ns() did not make: the
 * per-test check (snapshot, diff, filter, remove what is ours) must leave
 * the attacker's queue and root's unrelated queue alone. */
static int env_ns(void *arg)
{
	(void)arg;
	struct made *m =
	    mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return adv_fail("mmap: %s", strerror(errno));
	setenv("IPCTB_PRIVATE_NS", "1", 1);
	struct ipctb_snapshot before, after, added;
	if (ipctb_snapshot_take(&before, IPCTB_SCAN_SYSV) < 0)
		return adv_fail("snapshot");
	adv_step("the attacker makes queues");
	if (adv_as(ADV_NOBODY, attacker_queues, m, 5000) != 0)
		return adv_fail("the attacker could not make its queues");
	int mine = msgget(IPC_PRIVATE, IPC_CREAT | 0600); /* not the library's */
	adv_step("leak check with IPCTB_PRIVATE_NS=1");
	if (mine < 0 || ipctb_snapshot_take(&after, IPCTB_SCAN_SYSV) < 0 ||
	    ipctb_snapshot_diff(&before, &after, &added) < 0)
		return adv_fail("msgget or snapshot: %s", strerror(errno));
	ipctb_snapshot_filter_ours(&added, NULL);
	size_t ours = added.n;
	for (size_t i = 0; i < added.n; i++)
		(void)ipctb_leak_remove(&added.v[i]);
	ipctb_snapshot_free(&added);
	ipctb_snapshot_free(&after);
	ipctb_snapshot_free(&before);
	if (ipctb_in_private_ns())
		return adv_fail("the environment made this namespace private");
	if (!queue_exists(m->priv) || !queue_exists(m->keyed) || !queue_exists(mine))
		return adv_fail("the leak check removed a queue that is not the library's");
	return ours == 0 ? 0 : adv_fail("%zu foreign queue(s) counted as ours", ours);
}

Test(adv_sysv, private_ns_env_makes_nothing_ours, .timeout = 60)
{
	ADV_RUN(env_ns, NULL, 30000);
}

/* The host namespace too: the variable alone changes nothing. */
Test(adv_sysv, private_ns_env_on_host_namespace, .timeout = 30)
{
	setenv("IPCTB_PRIVATE_NS", "1", 1);
	cr_assert(!ipctb_in_private_ns(), "IPCTB_PRIVATE_NS=1 made the host namespace private");
}

/* Positive control: the namespace ipctb_private_ns() makes is private, in
 * this process and in a child it forks, and stops being so in a namespace
 * made after it by someone else. */
static int made_ns(void *arg)
{
	(void)arg;
	int r = ipctb_private_ns();
	if (r < 0) {
		adv_say("ipctb_private_ns: %s", strerror(-r));
		return ADV_SKIP;
	}
	if (!ipctb_in_private_ns())
		return adv_fail("ipctb_private_ns() made a namespace that is not private");
	pid_t pid = fork();
	if (pid == 0)
		_exit(ipctb_in_private_ns() ? 0 : 1);
	if (pid < 0 || test_exit_code(test_reap(pid, 5000)) != 0)
		return adv_fail("a forked child does not see the namespace as private");
	if (unshare(CLONE_NEWIPC) < 0)
		return adv_fail("unshare: %s", strerror(errno));
	return ipctb_in_private_ns() ? adv_fail("another namespace counted as private") : 0;
}

Test(adv_sysv, private_ns_is_the_one_made, .timeout = 60)
{
	ADV_RUN(made_ns, NULL, 30000);
}
