/* What the R10 BPF programs and the cases that load them agree on: map sizes,
 * policy values and counter slots. Included by C (BPF) and C++ alike. */
#ifndef SOCKREUSE_R10_MAPS_H
#define SOCKREUSE_R10_MAPS_H

#define R10_MAP_SLOTS 32

/* policy[0] of select_by_port */
#define R10_SELECT_DROP_ON_ERROR 0   /* select; SK_PASS, or SK_DROP when the helper fails */
#define R10_SELECT_PASS_ON_ERROR 1   /* select; SK_PASS even when the helper fails */
#define R10_SELECT_THEN_DROP 2       /* select, then SK_DROP anyway */
#define R10_PASS_WITHOUT_SELECTING 3 /* SK_PASS with no member selected */
#define R10_DROP_WITHOUT_SELECTING 4 /* SK_DROP with no member selected */

/* policy[0] of select_or_migrate */
#define R10_MIGRATE_TO_TARGET 0 /* select the member in slot R10_MIGRATE_TARGET */
#define R10_MIGRATE_BY_KERNEL 1 /* SK_PASS with no member selected */
#define R10_MIGRATE_DROP 2      /* SK_DROP */
#define R10_MIGRATE_TARGET 0  /* map slot of the member migrated connections go to */
#define R10_NEW_CONNECTIONS 1 /* map slot of the member new connections go to */

/* counters[] */
#define R10_RUNS 0                 /* times the program ran */
#define R10_HELPER_FAILURES 1      /* bpf_sk_select_reuseport() calls that failed */
#define R10_HELPER_ERRNO 2         /* the errno of the last one that failed */
#define R10_MIGRATED_ESTABLISHED 3 /* migrations of queued connections */
#define R10_MIGRATED_REQUEST 4     /* migrations of requests (TCP_NEW_SYN_RECV) */
#define R10_MIGRATED_OTHER 5       /* migrations of sockets in another state */
#define R10_COUNTERS 6

#endif
