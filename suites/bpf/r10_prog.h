/* The maps every sk_reuseport program of the R10 cases has, and the helpers
 * that fill its counters; each object file gets its own copy of the maps. */
#ifndef SOCKREUSE_R10_PROG_H
#define SOCKREUSE_R10_PROG_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "r10_maps.h"

/* The group's members, by the slots the case puts them in. */
struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, R10_MAP_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} members SEC(".maps");

/* policy[0]: what the program does (R10_* in r10_maps.h), set by the case. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} policy SEC(".maps");

/* What the program saw, read back by the case. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, R10_COUNTERS);
	__type(key, __u32);
	__type(value, __u32);
} counters SEC(".maps");

static inline __u32 policy_or(__u32 otherwise)
{
	__u32 zero = 0, *p = bpf_map_lookup_elem(&policy, &zero);

	return p ? *p : otherwise;
}

static inline void count(__u32 which)
{
	__u32 *slot = bpf_map_lookup_elem(&counters, &which);

	if (slot)
		__sync_fetch_and_add(slot, 1);
}

static inline void record(__u32 which, __u32 value)
{
	__u32 *slot = bpf_map_lookup_elem(&counters, &which);

	if (slot)
		*slot = value;
}

#endif
