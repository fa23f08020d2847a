// SO_ATTACH_REUSEPORT_EBPF programs (BPF_PROG_TYPE_SOCKET_FILTER): the value
// a program returns is the index of the group member that gets the packet; an
// index past the last member makes the kernel fall back to the flow hash.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// The low byte of the packet's source port, so a case picks each flow's member
// by picking the flow's source port. The suite sends no IPv4 options and no
// IPv6 extension headers, so the transport header follows the IP header.
SEC("socket")
int member_from_port(struct __sk_buff *skb)
{
	__u8 first, low;
	__u32 l4;

	if (bpf_skb_load_bytes_relative(skb, 0, &first, 1, BPF_HDR_START_NET))
		return -1;
	l4 = (first >> 4) == 6 ? 40 : (first & 0xf) * 4;
	if (bpf_skb_load_bytes_relative(skb, l4 + 1, &low, 1, BPF_HDR_START_NET))
		return -1;
	return low;
}

// Everything to the first member: the program a case replaces the first one with.
SEC("socket")
int first_member(struct __sk_buff *skb)
{
	return 0;
}

char _license[] SEC("license") = "GPL";
