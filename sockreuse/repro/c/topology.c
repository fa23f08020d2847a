/* The suite's two-host topology: namespaces *server* (where the process
 * stays) and *client*, joined by veth pairs, IPv4 and IPv6 on both ends,
 * permanent neighbour entries, lo up in both. Both namespaces are
 * anonymous: they go away with this process, whatever ends it. */
struct topo_end {
	struct link_end link;
	const char *v4;
	int v4_prefix;
	const char *v6;
	int v6_prefix;
};

struct topo_pair {
	struct topo_end server, client;
};

static int server_ns = -1, client_ns = -1;

static int this_ns(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail("open /proc/self/ns/net: %s", strerror(errno));
	return fd;
}

/* Moves this (single-threaded) process into a namespace. */
HELPER void enter(int ns)
{
	if (setns(ns, CLONE_NEWNET) != 0)
		fail("setns: %s", strerror(errno));
}

static int new_ns(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		fail("unshare(CLONE_NEWNET): %s (run as root)", strerror(errno));
	return this_ns();
}

static void configure(const struct topo_pair *pairs, int n, int server)
{
	for (int i = 0; i < n; i++) {
		const struct topo_end *here = server ? &pairs[i].server : &pairs[i].client;
		const struct topo_end *peer = server ? &pairs[i].client : &pairs[i].server;

		addr_add(here->link.name, here->v4, here->v4_prefix);
		neigh_add(here->link.name, peer->v4, peer->link.mac);
		addr_add(here->link.name, here->v6, here->v6_prefix);
		neigh_add(here->link.name, peer->v6, peer->link.mac);
	}
	for (int i = 0; i < n; i++)
		wait_oper_up(server ? pairs[i].server.link.name : pairs[i].client.link.name);
	for (int i = 0; i < n; i++) {
		const struct topo_end *here = server ? &pairs[i].server : &pairs[i].client;

		wait_addr_ready(here->v6, here->link.name);
	}
}

HELPER void build_topology(const struct topo_pair *pairs, int n)
{
	server_ns = new_ns();
	client_ns = new_ns();
	enter(server_ns);
	say("setup: namespaces server (this process) and client, both new");
	link_up("lo");
	for (int i = 0; i < n; i++)
		veth_add(&pairs[i].server.link, &pairs[i].client.link, client_ns);
	enter(client_ns);
	link_up("lo");
	for (int i = 0; i < n; i++)
		link_up(pairs[i].client.link.name);
	configure(pairs, n, 0);
	enter(server_ns);
	configure(pairs, n, 1);
	say("setup: links up, addresses usable, in the server namespace from here on");
}

/* The case's own moves between the namespaces, in its record. */
HELPER void to_client(void)
{
	enter(client_ns);
	say("netns: setns(client) = 0");
}

HELPER void to_server(void)
{
	enter(server_ns);
	say("netns: setns(server) = 0");
}
