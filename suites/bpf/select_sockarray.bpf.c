// A BPF_PROG_TYPE_SK_REUSEPORT program: it looks the packet's member up in a
// REUSEPORT_SOCKARRAY map with bpf_sk_select_reuseport(), keyed by the low
// byte of the source port, and returns SK_PASS or SK_DROP as the case's policy
// says. The transport header starts at the context's data for TCP and UDP
// alike; source ports are its first two bytes.
#include "r10_prog.h"

SEC("sk_reuseport")
int select_by_port(struct sk_reuseport_md *md)
{
	__u8 *data = md->data, *end = md->data_end;
	__u32 mode = policy_or(R10_SELECT_DROP_ON_ERROR), key;
	long err;

	count(R10_RUNS);
	if (mode == R10_PASS_WITHOUT_SELECTING)
		return SK_PASS;
	if (mode == R10_DROP_WITHOUT_SELECTING)
		return SK_DROP;
	if (data + 2 > end)
		return SK_DROP;
	key = data[1];
	err = bpf_sk_select_reuseport(md, &members, &key, 0);
	if (err) {
		count(R10_HELPER_FAILURES);
		record(R10_HELPER_ERRNO, (__u32)-err);
		return mode == R10_SELECT_PASS_ON_ERROR ? SK_PASS : SK_DROP;
	}
	return mode == R10_SELECT_THEN_DROP ? SK_DROP : SK_PASS;
}

char _license[] SEC("license") = "GPL";
