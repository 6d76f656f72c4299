/* SPDX-License-Identifier: MIT */
/*
 * Sets of objects (struct ipctb_snapshot): the one growable array that the
 * leak scanner, the ledger, crash recovery and the tool fill, their
 * difference, and their text form. Pure data: no system call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "ipctb/leak.h"

int ipctb_snapshot_add(struct ipctb_snapshot *s, const struct ipctb_leak_obj *o)
{
	if (!s || !o)
		return -EINVAL;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct ipctb_leak_obj *v = realloc(s->v, ncap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = ncap;
	}
	s->v[s->n++] = *o;
	return 0;
}

void ipctb_snapshot_free(struct ipctb_snapshot *s)
{
	if (!s)
		return;
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static bool same(const struct ipctb_leak_obj *a, const struct ipctb_leak_obj *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case IPCTB_OBJ_SYSV_SHM:
	case IPCTB_OBJ_SYSV_MSG:
	case IPCTB_OBJ_SYSV_SEM:
		return a->id == b->id && a->key == b->key;
	case IPCTB_OBJ_NONE:
		return a->id == b->id && strcmp(a->name, b->name) == 0;
	default:
		return strcmp(a->name, b->name) == 0;
	}
}

int ipctb_snapshot_diff(const struct ipctb_snapshot *before, const struct ipctb_snapshot *after,
			struct ipctb_snapshot *added)
{
	if (!before || !after || !added)
		return -EINVAL;
	memset(added, 0, sizeof(*added));
	added->scanned = before->scanned & after->scanned;
	added->unavailable = before->unavailable | after->unavailable;
	for (size_t i = 0; i < after->n; i++) {
		bool found = false;
		for (size_t j = 0; j < before->n && !found; j++)
			found = same(&after->v[i], &before->v[j]);
		if (!found) {
			int r = ipctb_snapshot_add(added, &after->v[i]);
			if (r < 0) {
				ipctb_snapshot_free(added);
				return r;
			}
		}
	}
	return 0;
}

size_t ipctb_leak_obj_format(const struct ipctb_leak_obj *o, char *buf, size_t len)
{
	int w;
	switch (o->kind) {
	case IPCTB_OBJ_SYSV_SHM:
	case IPCTB_OBJ_SYSV_MSG:
	case IPCTB_OBJ_SYSV_SEM:
		w = snprintf(buf, len, "%s id=%ld key=0x%lx creator=%ld",
			     ipctb_obj_kind_str(o->kind), o->id, (unsigned long)o->key,
			     (long)o->creator);
		break;
	case IPCTB_OBJ_NONE:
		w = snprintf(buf, len, "fd %ld -> %s", o->id, o->name);
		break;
	default:
		w = snprintf(buf, len, "%s %s creator=%ld", ipctb_obj_kind_str(o->kind), o->name,
			     (long)o->creator);
	}
	return w < 0 ? 0 : (size_t)w;
}

size_t ipctb_snapshot_format(const struct ipctb_snapshot *s, char *buf, size_t len)
{
	size_t off = 0;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < s->n && off + 1 < len; i++) {
		off += ipctb_leak_obj_format(&s->v[i], buf + off, len - off);
		if (off + 1 < len) {
			buf[off++] = '\n';
			buf[off] = '\0';
		}
	}
	return off < len ? off : (len ? len - 1 : 0);
}
