/* SPDX-License-Identifier: MIT */
/*
 * The shared region: laid out once by the creator (header, slots, lock
 * state, scenario area), made as a SysV segment, a POSIX shm object or a
 * memfd, and mapped again by each participant process itself: SysV by
 * id, POSIX by name, memfd from an fd passed over a Unix socket
 * (SCM_RIGHTS). The mapping inherited through fork is dropped, and the
 * new one lands at an address of its own for each participant (see
 * stress_region_attach), so a pointer stored in the region cannot go
 * unnoticed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "ipctb/error.h"
#include "ipctb/obj.h"

static size_t align_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

size_t stress_layout(struct stress_run *r, struct ipctb_stress_hdr *h)
{
	size_t a = r->lock->state_align ? r->lock->state_align : 1;
	h->slots_off = align_up(sizeof(*h), 64);
	h->lock_off = align_up(h->slots_off + r->n * sizeof(struct ipctb_stress_slot), a);
	h->area_off = align_up(h->lock_off + r->lock->state_size, 64);
	h->size = h->area_off + r->scn->area_size(r->n);
	h->sched_off = 0;
	if (r->cfg.strategy != IPCTB_SCHED_OFF) {
		h->sched_off = align_up(h->size, 64);
		h->size = h->sched_off + ipctb_sched_size(&r->cfg);
	}
	return h->size;
}

int stress_region_create(struct stress_run *r, char *why, size_t len)
{
	struct ipctb_stress_hdr tmp;
	size_t size = stress_layout(r, &tmp);
	int e = ipctb_seg_create(&r->seg, r->o->region, size, NULL);
	if (e < 0) {
		snprintf(why, len, "region: %s", ipctb_strerror(e));
		return e;
	}
	struct ipctb_stress_hdr *h = r->seg.addr;
	h->magic = STRESS_MAGIC;
	h->nprocs = r->n;
	h->seed = r->o->seed;
	h->slots_off = tmp.slots_off;
	h->lock_off = tmp.lock_off;
	h->area_off = tmp.area_off;
	h->size = tmp.size;
	h->sched_off = tmp.sched_off;
	r->hdr = h;
	if (h->sched_off) {
		r->sched = (struct ipctb_sched *)((char *)h + h->sched_off);
		e = ipctb_sched_init(r->sched, &r->cfg);
		if (e < 0) {
			snprintf(why, len, "scheduler: %s", ipctb_strerror(e));
			return e;
		}
	}
	char name[96], *np = NULL;
	if (r->lock->caps & (IPCTB_LOCK_CAP_FILE | IPCTB_LOCK_CAP_NAMED)) {
		e = ipctb_unique_name(name, sizeof(name), "", "stress");
		if (e < 0) {
			snprintf(why, len, "lock name: %s", ipctb_strerror(e));
			return e;
		}
		np = name;
	}
	e = r->lock->init((char *)h + h->lock_off, np);
	if (e < 0) {
		snprintf(why, len, "%s: init: %s", r->lock->name, ipctb_strerror(e));
		return e;
	}
	r->lock_inited = true;
	if (r->scn->init((char *)h + h->area_off, r->n, why, len) < 0)
		return -EINVAL;
	return 0;
}

void stress_region_destroy(struct stress_run *r)
{
	if (r->lock_inited)
		(void)r->lock->destroy((char *)r->hdr + r->hdr->lock_off);
	r->lock_inited = false;
	if (r->seg.addr) {
		(void)ipctb_seg_detach(&r->seg);
		(void)ipctb_seg_destroy(&r->seg);
	}
	r->hdr = NULL;
}

int stress_send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = u.buf,
			   .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	ssize_t n;
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : n < 0 ? -errno : -EIO;
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = u.buf,
			   .msg_controllen = sizeof(u.buf)};
	ssize_t n;
	/* The runner sends right after fork; its death closes the socket. */
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return n < 0 ? -errno : -EPIPE;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EPROTO;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static int attach_once(struct stress_run *r, int fd, struct ipctb_seg *seg)
{
	switch (r->o->region) {
	case IPCTB_SEG_SYSV:
		return ipctb_seg_attach_sysv(seg, r->seg.shmid, r->hdr->size);
	case IPCTB_SEG_POSIX:
		return ipctb_seg_attach_posix(seg, r->seg.obj.name, r->hdr->size);
	default:
		return ipctb_seg_attach_memfd(seg, fd, r->hdr->size);
	}
}

int stress_region_attach(struct stress_run *r, unsigned id, int sock, struct ipctb_seg *seg)
{
	int fd = -1, e = 0;
	if (r->o->region == IPCTB_SEG_MEMFD) {
		fd = recv_fd(sock);
		if (fd < 0)
			e = fd;
	}
	/* Participant id maps the region id + 1 times and keeps the last: each
	 * mapping takes the next free gap while the earlier ones (and the
	 * inherited one) hold theirs, so every participant ends at another
	 * address, deterministically. */
	struct ipctb_seg extra[IPCTB_STRESS_MAX_PROCS];
	unsigned n = 0;
	while (e == 0) {
		e = attach_once(r, fd, seg);
		if (e < 0 || n == id)
			break;
		extra[n++] = *seg;
	}
	while (n > 0)
		(void)ipctb_seg_detach(&extra[--n]);
	if (fd >= 0)
		close(fd);
	/* The inherited mapping goes: from here on only the own one. */
	struct ipctb_seg inherited = r->seg;
	inherited.owner = 0;
	(void)ipctb_seg_detach(&inherited);
	r->seg.addr = NULL;
	r->hdr = NULL;
	return e;
}
