/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The narrow C interface between iplbd's FRR glue (C) and the iplb core
 * (C++20). No FRR type crosses it and no C++ exception leaves it, so the
 * glue stays in FRR's C and the core stays testable without FRR.
 */
#ifndef IPLB_CORE_H
#define IPLB_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iplb_core;

/* One core per daemon; NULL if it cannot be allocated. */
struct iplb_core *iplb_core_new(void);
void iplb_core_free(struct iplb_core *core);

/* The iplb release, e.g. "0.1.0". */
const char *iplb_core_version(void);

/*
 * Sets the role by its CLI/YANG name (host, mux, backend). An unknown
 * name leaves the role unchanged, returns false and, if errbuf is given,
 * writes a message for the operator there.
 */
bool iplb_core_set_role(struct iplb_core *core, const char *name, char *errbuf, size_t errlen);

/* Everything `show iplb status` prints, taken at one instant. */
struct iplb_status {
	char version[32];
	char role[16];
	uint64_t uptime_sec;
	char uptime[32]; /* formatted like FRR's uptimes */
};

void iplb_core_status(const struct iplb_core *core, struct iplb_status *status);

#ifdef __cplusplus
}
#endif

#endif /* IPLB_CORE_H */
