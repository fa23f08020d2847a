/* rtnetlink by hand: one request, one acknowledgement, each on a socket
 * made in the current network namespace (a netlink socket keeps the
 * namespace it was made in). */
struct nlreq {
	struct nlmsghdr h;
	char body[1024];
};

static void *nl_tail(struct nlmsghdr *h)
{
	return (char *)h + NLMSG_ALIGN(h->nlmsg_len);
}

static struct nlmsghdr *nl_start(struct nlreq *req, int type, int flags, const void *hdr,
				 size_t len)
{
	memset(req, 0, sizeof *req);
	req->h.nlmsg_len = NLMSG_LENGTH(len);
	req->h.nlmsg_type = (unsigned short)type;
	req->h.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
	memcpy(NLMSG_DATA(&req->h), hdr, len);
	return &req->h;
}

static struct rtattr *nl_attr(struct nlmsghdr *h, int type, const void *data, size_t len)
{
	struct rtattr *a = nl_tail(h);

	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

/* An attribute holding the ones added until nl_end(). */
static struct rtattr *nl_nest(struct nlmsghdr *h, int type)
{
	return nl_attr(h, type, NULL, 0);
}

static void nl_end(struct nlmsghdr *h, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)nl_tail(h) - (char *)nest);
}

static void nl_talk(struct nlmsghdr *h, const char *what)
{
	char buf[4096];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct nlmsghdr *r = (struct nlmsghdr *)buf;
	ssize_t n;

	if (fd < 0)
		fail("%s: netlink socket: %s", what, strerror(errno));
	if (send(fd, h, h->nlmsg_len, 0) < 0)
		fail("%s: send: %s", what, strerror(errno));
	n = recv(fd, buf, sizeof buf, 0);
	close(fd);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || r->nlmsg_type != NLMSG_ERROR)
		fail("%s: no acknowledgement", what);
	if (((struct nlmsgerr *)NLMSG_DATA(r))->error)
		fail("%s: %s", what, strerror(-((struct nlmsgerr *)NLMSG_DATA(r))->error));
}

static int ifindex(const char *dev)
{
	int i = (int)if_nametoindex(dev);

	if (!i)
		fail("no device %s here", dev);
	return i;
}

static void mac_of(const char *text, unsigned char mac[6])
{
	if (sscanf(text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		   &mac[4], &mac[5]) != 6)
		fail("bad MAC %s", text);
}

HELPER void link_up(const char *dev)
{
	struct nlreq req;
	struct ifinfomsg ifi = { .ifi_index = ifindex(dev), .ifi_flags = IFF_UP,
				 .ifi_change = IFF_UP };

	nl_talk(nl_start(&req, RTM_NEWLINK, 0, &ifi, sizeof ifi), dev);
}

/* One end of a veth pair: name, MAC, ifindex. */
struct link_end {
	const char *name;
	const char *mac;
	int ifindex;
};

/* A veth pair, `here` up in the current namespace, `peer` in peer_ns. */
HELPER void veth_add(const struct link_end *here, const struct link_end *peer, int peer_ns)
{
	struct nlreq req;
	struct ifinfomsg ifi = { .ifi_index = here->ifindex, .ifi_flags = IFF_UP,
				 .ifi_change = IFF_UP };
	struct ifinfomsg peer_ifi = { .ifi_index = peer->ifindex };
	struct nlmsghdr *h = nl_start(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
	struct rtattr *info, *data, *other;
	unsigned char mac[6];
	uint32_t ns = (uint32_t)peer_ns;

	nl_attr(h, IFLA_IFNAME, here->name, strlen(here->name) + 1);
	mac_of(here->mac, mac);
	nl_attr(h, IFLA_ADDRESS, mac, sizeof mac);
	info = nl_nest(h, IFLA_LINKINFO);
	nl_attr(h, IFLA_INFO_KIND, "veth", strlen("veth"));
	data = nl_nest(h, IFLA_INFO_DATA);
	other = nl_attr(h, VETH_INFO_PEER, &peer_ifi, sizeof peer_ifi);
	nl_attr(h, IFLA_IFNAME, peer->name, strlen(peer->name) + 1);
	mac_of(peer->mac, mac);
	nl_attr(h, IFLA_ADDRESS, mac, sizeof mac);
	nl_attr(h, IFLA_NET_NS_FD, &ns, sizeof ns);
	nl_end(h, other);
	nl_end(h, data);
	nl_end(h, info);
	nl_talk(h, "create the veth pair");
	say("setup: veth %s (here) <-> %s (other namespace)", here->name, peer->name);
}

static int family_of(const char *ip)
{
	return strchr(ip, ':') ? AF_INET6 : AF_INET;
}

/* An address with its prefix on dev; IPv6 without duplicate address
 * detection, so it is usable at once; IPv4 with its broadcast address. */
HELPER void addr_add(const char *dev, const char *ip, int prefix)
{
	struct nlreq req;
	int family = family_of(ip);
	struct ifaddrmsg ifa = { .ifa_family = (unsigned char)family,
				 .ifa_prefixlen = (unsigned char)prefix,
				 .ifa_index = (unsigned)ifindex(dev) };
	struct nlmsghdr *h;
	unsigned char bin[16];
	size_t len = family == AF_INET ? 4 : 16;

	if (family == AF_INET6)
		ifa.ifa_flags = IFA_F_NODAD;
	if (inet_pton(family, ip, bin) != 1)
		fail("bad address %s", ip);
	h = nl_start(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
	nl_attr(h, IFA_LOCAL, bin, len);
	nl_attr(h, IFA_ADDRESS, bin, len);
	if (family == AF_INET) {
		uint32_t host = ntohl(*(uint32_t *)bin);
		uint32_t bcast = htonl(host | (prefix >= 32 ? 0 : 0xffffffffu >> prefix));

		nl_attr(h, IFA_BROADCAST, &bcast, sizeof bcast);
	}
	nl_talk(h, ip);
	say("setup: address %s/%d on %s", ip, prefix, dev);
}

/* A permanent neighbour entry: no case waits for ARP or neighbour discovery. */
HELPER void neigh_add(const char *dev, const char *ip, const char *mac_text)
{
	struct nlreq req;
	int family = family_of(ip);
	struct ndmsg nd = { .ndm_family = (unsigned char)family, .ndm_ifindex = ifindex(dev),
			    .ndm_state = NUD_PERMANENT };
	struct nlmsghdr *h = nl_start(&req, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, &nd,
				      sizeof nd);
	unsigned char bin[16], mac[6];

	if (inet_pton(family, ip, bin) != 1)
		fail("bad address %s", ip);
	mac_of(mac_text, mac);
	nl_attr(h, NDA_DST, bin, family == AF_INET ? 4 : 16);
	nl_attr(h, NDA_LLADDR, mac, sizeof mac);
	nl_talk(h, ip);
}

/* IFF_RUNNING: the kernel's "operationally up". */
static int oper_up(const void *dev)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int up;

	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", (const char *)dev);
	up = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING);
	if (fd >= 0)
		close(fd);
	return up;
}

HELPER void wait_oper_up(const char *dev)
{
	char what[64];

	snprintf(what, sizeof what, "link %s to be operationally up", dev);
	wait_until(oper_up, dev, what);
}

struct local_addr {
	const char *ip;
	const char *dev; /* the scope of a link-local address */
};

/* An address is ready once a socket may bind it. */
static int bindable(const void *arg)
{
	const struct local_addr *a = arg;
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ok;

	inet_pton(AF_INET6, a->ip, &sa.sin6_addr);
	if (IN6_IS_ADDR_LINKLOCAL(&sa.sin6_addr))
		sa.sin6_scope_id = (uint32_t)ifindex(a->dev);
	ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

HELPER void wait_addr_ready(const char *ip, const char *dev)
{
	struct local_addr a = { ip, dev };
	char what[128];

	snprintf(what, sizeof what, "%s on %s to be usable", ip, dev);
	wait_until(bindable, &a, what);
}
