/* SPDX-License-Identifier: MIT */
/* STUB: transport shm_memfd, to be implemented. */
#include <errno.h>
#include "internal.h"

static int stub_create(struct ipctb_chan *ch, const struct ipctb_chan_opts *o) { (void)ch; (void)o; return -ENOSYS; }
static int stub_set_end(struct ipctb_chan *ch, enum ipctb_end e) { (void)ch; (void)e; return -ENOSYS; }
static int stub_send(struct ipctb_chan *ch, const void *b, size_t l, int f) { (void)ch; (void)b; (void)l; (void)f; return -ENOSYS; }
static int stub_recv(struct ipctb_chan *ch, void *b, size_t c, size_t *l, int f) { (void)ch; (void)b; (void)c; (void)l; (void)f; return -ENOSYS; }
static void stub_close(struct ipctb_chan *ch) { (void)ch; }
static int stub_destroy(struct ipctb_chan *ch) { (void)ch; return 0; }
static int stub_objects(struct ipctb_chan *ch, struct ipctb_obj *o, size_t c) { (void)ch; (void)o; (void)c; return 0; }

const struct ipctb_chan_ops ipctb__shm_memfd_ops = {
	.name = "shm_memfd", .summary = "stub", .caps = 0, .max_msg = 1,
	.create = stub_create, .set_end = stub_set_end, .send = stub_send, .recv = stub_recv,
	.close = stub_close, .destroy = stub_destroy, .objects = stub_objects,
};
