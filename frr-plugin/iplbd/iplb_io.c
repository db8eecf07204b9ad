// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The core says which descriptors it wants to hear about and when it wants
 * its timer; this file turns that into FRR read/write/timer threads, which
 * are one-shot, and re-arms them after each callback for as long as the
 * core still wants them.
 */
#include <zebra.h>

#include "log.h"
#include "thread.h"
#include "privs.h"
#include "plist.h"
#include "prefix.h"

#include "iplbd/iplbd.h"

#include "iplbd/iplb_io.h"
#include "iplbd/iplb_zebra.h"

/* The LSDB session uses three descriptors; leave room for what comes. */
#define IPLB_IO_SLOTS 16

struct iplb_io_watch {
	int fd; /* -1: free */
	bool want_read;
	bool want_write;
	struct thread *t_read;
	struct thread *t_write;
};

static struct {
	struct thread_master *master;
	struct iplb_core *core;
	struct iplb_io_watch watches[IPLB_IO_SLOTS];
	struct thread *t_timer;
	struct iplb_io_ops ops;
} io;

static void iplb_io_arm(struct iplb_io_watch *w);

static void iplb_io_ready(struct iplb_io_watch *w, bool readable, bool writable)
{
	int fd = w->fd;

	if (io.core)
		iplb_core_on_io(io.core, fd, readable, writable);
	/* The core may have changed its interest, or dropped the fd. */
	if (w->fd >= 0)
		iplb_io_arm(w);
}

static void iplb_io_on_read(struct thread *thread)
{
	iplb_io_ready(THREAD_ARG(thread), true, false);
}

static void iplb_io_on_write(struct thread *thread)
{
	iplb_io_ready(THREAD_ARG(thread), false, true);
}

static void iplb_io_arm(struct iplb_io_watch *w)
{
	if (w->want_read && !w->t_read)
		thread_add_read(io.master, iplb_io_on_read, w, w->fd,
				&w->t_read);
	else if (!w->want_read)
		THREAD_OFF(w->t_read);

	if (w->want_write && !w->t_write)
		thread_add_write(io.master, iplb_io_on_write, w, w->fd,
				 &w->t_write);
	else if (!w->want_write)
		THREAD_OFF(w->t_write);
}

static struct iplb_io_watch *iplb_io_slot(int fd, bool allocate)
{
	struct iplb_io_watch *free_slot = NULL;

	for (size_t i = 0; i < IPLB_IO_SLOTS; i++) {
		if (io.watches[i].fd == fd)
			return &io.watches[i];
		if (io.watches[i].fd < 0 && !free_slot)
			free_slot = &io.watches[i];
	}
	if (allocate && free_slot)
		free_slot->fd = fd;
	return allocate ? free_slot : NULL;
}

static void iplb_io_watch(void *ctx, int fd, bool read, bool write)
{
	struct iplb_io_watch *w = iplb_io_slot(fd, read || write);

	if (!w) {
		if (read || write)
			zlog_err("%s: no free slot to watch fd %d", __func__,
				 fd);
		return;
	}
	w->want_read = read;
	w->want_write = write;
	iplb_io_arm(w);
	if (!read && !write)
		w->fd = -1;
}

static void iplb_io_on_timer(struct thread *thread)
{
	if (io.core)
		iplb_core_on_timer(io.core);
}

static void iplb_io_arm_timer(void *ctx, uint32_t msec)
{
	THREAD_OFF(io.t_timer);
	thread_add_timer_msec(io.master, iplb_io_on_timer, NULL, msec,
			      &io.t_timer);
}

static void iplb_io_cancel_timer(void *ctx)
{
	THREAD_OFF(io.t_timer);
}

static void iplb_io_log(void *ctx, int level, const char *message)
{
	switch (level) {
	case 0:
		zlog_err("%s", message);
		break;
	case 1:
		zlog_warn("%s", message);
		break;
	case 2:
		zlog_info("%s", message);
		break;
	default:
		zlog_debug("%s", message);
		break;
	}
}

/* Raised around the datapath's work only; not nested. */
static struct zebra_privs_t *iplb_io_raised;

static void iplb_io_raise_privileges(void *ctx)
{
	iplb_io_raised = _zprivs_raise(&iplb_privs, "iplb datapath");
}

static void iplb_io_lower_privileges(void *ctx)
{
	_zprivs_lower(&iplb_io_raised);
}

/* The core's decision about a VIP, to zebra. */
static bool iplb_io_announce_vip(void *ctx, const char *vip, bool announce)
{
	struct prefix p;

	if (!str2prefix(vip, &p)) {
		zlog_err("%s: the core named VIP '%s', not a prefix", __func__,
			 vip);
		return false;
	}
	return iplb_zebra_vip_send(&p, announce);
}

static bool iplb_io_prefix_list_permits(void *ctx, const char *name,
					uint32_t address, uint8_t length)
{
	struct prefix_list *plist = prefix_list_lookup(AFI_IP, name);
	struct prefix p = {};

	if (!plist)
		return true;
	p.family = AF_INET;
	p.prefixlen = length;
	p.u.prefix4.s_addr = htonl(address);
	return prefix_list_apply(plist, &p) == PREFIX_PERMIT;
}

const struct iplb_io_ops *iplb_io_init(struct thread_master *master)
{
	io.master = master;
	for (size_t i = 0; i < IPLB_IO_SLOTS; i++)
		io.watches[i].fd = -1;
	io.ops.ctx = NULL;
	io.ops.watch = iplb_io_watch;
	io.ops.arm_timer = iplb_io_arm_timer;
	io.ops.cancel_timer = iplb_io_cancel_timer;
	io.ops.log = iplb_io_log;
	io.ops.raise_privileges = iplb_io_raise_privileges;
	io.ops.lower_privileges = iplb_io_lower_privileges;
	io.ops.announce_vip = iplb_io_announce_vip;
	io.ops.prefix_list_permits = iplb_io_prefix_list_permits;
	return &io.ops;
}

void iplb_io_set_core(struct iplb_core *core)
{
	io.core = core;
}

void iplb_io_terminate(void)
{
	for (size_t i = 0; i < IPLB_IO_SLOTS; i++) {
		THREAD_OFF(io.watches[i].t_read);
		THREAD_OFF(io.watches[i].t_write);
		io.watches[i].fd = -1;
	}
	THREAD_OFF(io.t_timer);
	io.core = NULL;
}
