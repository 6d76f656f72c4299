/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: ipctb_chan_create, ipctb_chan_send, ipctb_chan_recv,
 * ipctb_chan_set_end, ipctb_chan_objects and ipctb_chan_destroy over one
 * real transport (FZ_TRANSPORT, set by the fuzz_ops_<transport>.c file that
 * includes this one), with the syscall shim injecting EINTR and short I/O.
 *
 * Input: u8 max_msg selector, then a stream of operations: send (blocking
 * or not), receive (blocking or not, any buffer size), oversized send, close
 * one end, arm the shim. Both ends live in this process. A model queue of
 * what was sent predicts every result from the promises in ipctb/chan.h:
 * whole messages in order; -EMSGSIZE for a message above the limit (nothing
 * sent) or a buffer too small (message discarded); -EAGAIN only where a
 * call would wait; -EPIPE after the peer end closed, once the queue is
 * drained; EINTR retried and short reads/writes completed invisibly. At
 * the end every descriptor is closed and every named object removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "ipctb/ipctb.h"

#ifndef FZ_TRANSPORT
#error "FZ_TRANSPORT: build through a fuzz_ops_<transport>.c file"
#endif

#define MAX_OPS 128
#define QMAX 64
#define QBYTES 16384
#define MAX_OBJS 8

struct queue {
	uint32_t len[QMAX], off[QMAX];
	size_t first, count, bytes_end;
	uint8_t bytes[QBYTES];
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The object is gone from the system after destroy. */
static int obj_gone(const struct ipctb_obj *o)
{
	char path[IPCTB_NAME_MAX + 16];
	switch (o->kind) {
	case IPCTB_OBJ_FIFO:
	case IPCTB_OBJ_SOCK_PATH:
	case IPCTB_OBJ_DIR:
	case IPCTB_OBJ_FILE:
		return access(o->name, F_OK) < 0 && errno == ENOENT;
	case IPCTB_OBJ_POSIX_SHM:
		snprintf(path, sizeof(path), "/dev/shm%s", o->name);
		return access(path, F_OK) < 0 && errno == ENOENT;
	case IPCTB_OBJ_POSIX_MQ: {
		mqd_t q = mq_open(o->name, O_RDONLY);
		if (q != (mqd_t)-1) {
			mq_close(q);
			return 0;
		}
		return errno == ENOENT;
	}
	case IPCTB_OBJ_SYSV_SHM: {
		struct shmid_ds ds;
		return shmctl(o->id, IPC_STAT, &ds) < 0;
	}
	case IPCTB_OBJ_SYSV_MSG: {
		struct msqid_ds ds;
		return msgctl(o->id, IPC_STAT, &ds) < 0;
	}
	default:
		return 1; /* memfd and ports: covered by the fd count */
	}
}

static void q_pop(struct queue *q)
{
	q->first = (q->first + 1) % QMAX;
	if (--q->count == 0)
		q->bytes_end = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct queue q;
	static uint8_t rbuf[8192 + 64];
	struct fz_in in = {data, size};
	const struct ipctb_chan_ops *ops = ipctb_registry_find(IPCTB_KIND_TRANSPORT, FZ_TRANSPORT);
	FZ_CHECK(ops != NULL);

	int fds_before = count_fds();
	struct ipctb_chan_opts opts = {0};
	opts.max_msg = 1 + (size_t)fz_u8(&in) * 4; /* 1..1021 */
	opts.timeout_ms = 2000;			   /* a bound for a wrong model, never hit */
	struct ipctb_chan *ch;
	if (ipctb_chan_create(FZ_TRANSPORT, &opts, &ch) < 0)
		return 0; /* e.g. a system limit: nothing to check */
	size_t max = ipctb_chan_max_msg(ch);
	FZ_CHECK(max >= 1 && max <= opts.max_msg);
	struct ipctb_obj objs[MAX_OBJS];
	int nobj = ipctb_chan_objects(ch, objs, MAX_OBJS);
	FZ_CHECK(nobj >= 0);
	if (nobj > MAX_OBJS)
		nobj = MAX_OBJS;

	memset(&q, 0, sizeof(q));
	int tx_open = 1, rx_open = 1, closed_once = 0;
	for (int n = 0; in.n && n < MAX_OPS; n++) {
		uint8_t op = fz_u8(&in);
		switch (op % 6) {
		case 0:
		case 1: { /* send */
			if (!tx_open)
				break;
			size_t want = fz_u16(&in) % (max + 1), got;
			const uint8_t *b = fz_take(&in, want, &got);
			/* Blocking only where the model says it cannot wait:
			 * little queued, and every transport holds that. */
			int block = (op & 0x80) && q.count < 4 && q.bytes_end < 2048;
			int r = ipctb_chan_send(ch, b, got, block ? 0 : IPCTB_NONBLOCK);
			if (!rx_open) {
				FZ_CHECK(r == -EPIPE);
				break;
			}
			if (r == -EAGAIN && !block)
				break; /* full: nothing sent */
			FZ_CHECK(r == 0);
			if (q.count == QMAX || QBYTES - q.bytes_end < got) {
				/* Model full: drain what it predicts, stop. */
				in.n = 0;
				break;
			}
			size_t s = (q.first + q.count) % QMAX;
			q.len[s] = (uint32_t)got;
			q.off[s] = (uint32_t)q.bytes_end;
			memcpy(q.bytes + q.bytes_end, b, got);
			q.bytes_end += got;
			q.count++;
			break;
		}
		case 2:
		case 3: { /* receive */
			if (!rx_open)
				break;
			size_t cap = op & 0x40 ? fz_u16(&in) % (max + 8) : max;
			int block = (op & 0x80) && q.count > 0;
			size_t len = (size_t)-1;
			uint8_t *out = malloc(cap ? cap : 1);
			if (!out)
				break;
			int r = ipctb_chan_recv(ch, out, cap, &len, block ? 0 : IPCTB_NONBLOCK);
			if (q.count == 0) {
				FZ_CHECK(r == (tx_open ? -EAGAIN : -EPIPE));
			} else if (q.len[q.first] > cap) {
				FZ_CHECK(r == -EMSGSIZE);
				q_pop(&q);
			} else {
				FZ_CHECK(r == 0 && len == q.len[q.first]);
				FZ_CHECK(memcmp(out, q.bytes + q.off[q.first], len) == 0);
				q_pop(&q);
			}
			free(out);
			break;
		}
		case 4: { /* oversized send: rejected, nothing queued */
			if (!tx_open)
				break;
			size_t extra = 1 + fz_u8(&in) % 64;
			size_t len = max + extra;
			if (len > sizeof(rbuf))
				break;
			int r = ipctb_chan_send(ch, rbuf, len, IPCTB_NONBLOCK);
			FZ_CHECK(r == -EMSGSIZE || (!rx_open && r == -EPIPE));
			break;
		}
		default: { /* close an end, or arm the syscall shim */
			uint8_t what = fz_u8(&in);
			if (what & 1) {
				if (closed_once)
					break;
				closed_once = 1;
				ipctb_shim_set(NULL);
				enum ipctb_end keep = what & 2 ? IPCTB_END_TX : IPCTB_END_RX;
				FZ_CHECK(ipctb_chan_set_end(ch, keep) == 0);
				tx_open = keep == IPCTB_END_TX;
				rx_open = keep == IPCTB_END_RX;
				break;
			}
			if (!(ops->caps & IPCTB_CAP_SHIM))
				break;
			struct ipctb_shim_rule rule = {0};
			rule.mask = IPCTB_SYSMASK(IPCTB_SYS_READ) | IPCTB_SYSMASK(IPCTB_SYS_WRITE) |
				    IPCTB_SYSMASK(IPCTB_SYS_SEND) | IPCTB_SYSMASK(IPCTB_SYS_RECV);
			rule.nth = 1 + fz_u8(&in) % 8;
			/* Finitely many faults, as a real signal storm ends: with
			 * every = 2, a loop that alternates a send (which flushes
			 * our own pending output and gets EAGAIN) and a recv
			 * could meet the fault on every recv and never run it
			 * (regress/fuzz_ops_unix_stream/hang-eintr-phase-lock). */
			rule.limit = 256;
			/* every = 1 would make each call fail with EINTR for
			 * ever; a correct retry loop would then never end. */
			rule.every = fz_u8(&in) % 4;
			if (rule.every == 1)
				rule.every = 2;
			/* Short transfers are a byte stream's business only: a
			 * datagram cut short is lost by design of the kernel. */
			if ((what & 2) && (ops->caps & IPCTB_CAP_STREAM)) {
				rule.action = IPCTB_SHIM_SHORT;
				rule.short_len = 1 + fz_u8(&in) % 16;
				if (rule.every == 2)
					rule.every = 1; /* every call short */
			} else {
				rule.action = IPCTB_SHIM_EINTR;
			}
			ipctb_shim_set(&rule);
			break;
		}
		}
	}
	ipctb_shim_set(NULL);
	/* Whatever is still queued comes out intact (if both ends remain). */
	while (rx_open && q.count) {
		size_t len;
		int r = ipctb_chan_recv(ch, rbuf, sizeof(rbuf), &len, IPCTB_NONBLOCK);
		FZ_CHECK(r == 0 && len == q.len[q.first]);
		FZ_CHECK(memcmp(rbuf, q.bytes + q.off[q.first], len) == 0);
		q_pop(&q);
	}
	FZ_CHECK(ipctb_chan_destroy(ch) == 0);
	for (int i = 0; i < nobj; i++)
		FZ_CHECK(obj_gone(&objs[i]));
	FZ_CHECK(count_fds() == fds_before);
	return 0;
}
