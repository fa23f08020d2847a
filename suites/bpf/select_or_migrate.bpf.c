// A BPF_SK_REUSEPORT_SELECT_OR_MIGRATE program (Linux 5.14+): new connections
// (migrating_sk is NULL) go to the member in slot R10_NEW_CONNECTIONS, so a
// case knows which listener holds them; a connection or request whose
// listener closed goes where the case's policy says: to the member in slot
// R10_MIGRATE_TARGET, back to the kernel's choice, or nowhere.
#include "r10_prog.h"

SEC("sk_reuseport/migrate")
int select_or_migrate(struct sk_reuseport_md *md)
{
	__u32 key = R10_MIGRATE_TARGET, mode;

	count(R10_RUNS);
	if (!md->migrating_sk) {
		key = R10_NEW_CONNECTIONS;
		if (bpf_sk_select_reuseport(md, &members, &key, 0))
			count(R10_HELPER_FAILURES);
		return SK_PASS;
	}
	switch (md->migrating_sk->state) {
	case BPF_TCP_ESTABLISHED:
		count(R10_MIGRATED_ESTABLISHED);
		break;
	case BPF_TCP_NEW_SYN_RECV:
		count(R10_MIGRATED_REQUEST);
		break;
	default:
		count(R10_MIGRATED_OTHER);
	}
	mode = policy_or(R10_MIGRATE_TO_TARGET);
	if (mode == R10_MIGRATE_DROP)
		return SK_DROP;
	if (mode == R10_MIGRATE_BY_KERNEL)
		return SK_PASS;
	if (bpf_sk_select_reuseport(md, &members, &key, 0))
		count(R10_HELPER_FAILURES);
	return SK_PASS;
}

char _license[] SEC("license") = "GPL";
