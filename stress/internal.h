/* SPDX-License-Identifier: MIT */
/* Between the runner's files (part.c, region.c, runner.c, watchdog.c). */
#ifndef IPCTB_STRESS_INTERNAL_H
#define IPCTB_STRESS_INTERNAL_H

#include <pthread.h>

#include "runner.h"

#define STRESS_MAGIC 0x53545253u /* "STRS" */
/* A controlled run's lock calls: the scheduler, not this bound, ends a
 * wait that cannot end (ten minutes: never reached by a run). */
#define STRESS_CONTROLLED_LOCK_MS 600000

/* What the runner keeps about one run. */
struct stress_run {
	const struct ipctb_scenario *scn;
	const struct ipctb_lock_ops *lock;
	const struct ipctb_stress_opts *o;
	struct ipctb_seg seg; /* the runner's own mapping */
	struct ipctb_stress_hdr *hdr;
	unsigned n;
	pid_t pid[IPCTB_STRESS_MAX_PROCS];     /* processes mode; 0 once reaped */
	int sock[IPCTB_STRESS_MAX_PROCS];      /* memfd: the runner's socket ends */
	pthread_t thr[IPCTB_STRESS_MAX_PROCS]; /* threads mode */
	bool thr_up[IPCTB_STRESS_MAX_PROCS];
	unsigned victim;
	uint64_t kill_at;
	bool lock_inited;
	struct ipctb_sched *sched; /* the runner's view of the block, or NULL */
	struct ipctb_sched_cfg cfg;
	unsigned fault_victim; /* faults: the participant, its first call, the period */
	uint64_t fault_nth, fault_every;
	/* The first participant that exited on its own before it finished,
	 * while the run went on (id + 1, 0: none), its status and site. */
	unsigned early_exit;
	int early_status;
	uint32_t early_site;
};

static inline struct ipctb_stress_slot *stress_slots(struct ipctb_stress_hdr *h)
{
	return (struct ipctb_stress_slot *)((char *)h + h->slots_off);
}

/* region.c */
size_t stress_layout(struct stress_run *r, struct ipctb_stress_hdr *h);
int stress_region_create(struct stress_run *r, char *why, size_t len);
void stress_region_destroy(struct stress_run *r);
/* In a participant process: map the region itself (not at the runner's
 * address), from the region's id, name or an fd received on sock. */
int stress_region_attach(struct stress_run *r, unsigned id, int sock, struct ipctb_seg *seg);
int stress_send_fd(int sock, int fd);

/* part.c: one participant's whole life over its mapping at base. */
int stress_participant(struct stress_run *r, unsigned id, void *base);
void stress_hooks_install(bool on, bool controlled);

/* watchdog.c: poll until every participant is done, one failed, or none
 * progresses for stall_ms; fills res (outcome STUCK with its report). */
void stress_watch(struct stress_run *r, struct ipctb_stress_result *res);

#endif
