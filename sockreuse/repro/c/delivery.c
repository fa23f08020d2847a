/* Where traffic goes: datagrams or connections from the client namespace,
 * counted per receiving socket of the server namespace, named with one word.
 * UDP: every datagram leaves from one CPU, and a fence datagram sent after
 * them is waited for, so once it is readable every datagram has been queued
 * or dropped (receive packet steering, off on new devices unless
 * net.core.rps_default_mask says otherwise, would break that order). */
#define MAX_FLOWS 64
#define MAX_RECEIVERS 16

struct delivery {
	int receivers, flows, sent, seen;
	int per_socket[MAX_RECEIVERS];       /* messages each receiver got, in bind order */
	unsigned flow_socks[MAX_FLOWS];      /* the receivers each flow reached, as bits */
	unsigned char got[MAX_FLOWS * 8]; /* each message seen at least once */
};

/* flows x per_flow datagrams "<flow>:<n>" to dst:PORT, each flow from a
 * socket of its own (its own source port). */
HELPER void udp_send(const char *dst, int flows, int per_flow, int broadcast, const char *mcast_dev,
		     const char *fence_ip)
{
	struct sockspec fence = { .name = "fence", .type = SOCK_DGRAM, .addr = fence_ip,
				  .port = PORT + 1, .v6only = -1 };
	struct sockspec sender = { .name = "sender", .type = SOCK_DGRAM, .addr = dst, .v6only = -1 };
	int senders[MAX_FLOWS], ffd = -1, cpu = sched_getcpu();
	struct step r = NO_STEP;
	socklen_t len;
	struct sockaddr_storage to = sockaddr_of(dst, NULL, PORT, &len), fence_at;
	socklen_t fence_len;
	cpu_set_t one;
	char msg[32];

	if (flows < 1 || flows > MAX_FLOWS || flows * per_flow > (int)sizeof ((struct delivery *)0)->got)
		fail("at most %d flows of at most %d datagrams in all", MAX_FLOWS,
		     (int)sizeof ((struct delivery *)0)->got);
	fence_at = sockaddr_of(fence_ip, NULL, PORT + 1, &fence_len);
	sock_open(&r, &fence, &ffd);
	sock_bind(&r, &fence, ffd);
	if (r.err)
		fail("the fence socket: %s", errname(r.err));
	to_client();
	CPU_ZERO(&one);
	CPU_SET(cpu < 0 ? 0 : cpu, &one);
	if (sched_setaffinity(0, sizeof one, &one) != 0)
		fail("sched_setaffinity: %s", strerror(errno));
	say("client: sched_setaffinity(cpu %d) = 0 (every datagram leaves from one CPU)", cpu);
	for (int f = 0; f < flows; f++) {
		int sent = 0;

		sock_open(&r, &sender, &senders[f]);
		if (broadcast)
			setint(&r, "sender", senders[f], SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST", 1);
		if (mcast_dev) {
			struct ip_mreqn m = { .imr_ifindex = ifindex(mcast_dev) };

			if (setsockopt(senders[f], IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) != 0)
				fail("IP_MULTICAST_IF %s: %s", mcast_dev, strerror(errno));
			say("sender: setsockopt(IP_MULTICAST_IF, %s) = 0", mcast_dev);
		}
		if (r.err)
			fail("a sender socket: %s", errname(r.err));
		for (int n = 0; n < per_flow; n++) {
			int size = snprintf(msg, sizeof msg, "%d:%d", f, n);

			if (sendto(senders[f], msg, (size_t)size, 0, (struct sockaddr *)&to, len) == size)
				sent++;
		}
		say("flow %d: %d x sendto(%s) = %d sent", f, per_flow, addr_text(dst, NULL, PORT), sent);
		if (sent != per_flow)
			fail("sendto %s: %s", dst, strerror(errno));
	}
	if (sendto(senders[flows - 1], "fence", 5, 0, (struct sockaddr *)&fence_at, fence_len) != 5)
		fail("sendto the fence: %s", strerror(errno));
	say("sender: sendto(%s, \"fence\") = 5", addr_text(fence_ip, NULL, PORT + 1));
	to_server();
	wait_readable(ffd, "the fence datagram sent after the case's datagrams");
	say("fence: readable: every datagram before it is queued or dropped");
	for (int f = 0; f < flows; f++)
		close(senders[f]);
	close(ffd);
}

/* Reads every receiver dry and counts the case's datagrams. */
HELPER void udp_count(const int *rx, const char *const *names, int n, int flows, int per_flow,
		      struct delivery *d)
{
	char buf[64];

	memset(d, 0, sizeof *d);
	d->receivers = n;
	d->flows = flows;
	d->sent = flows * per_flow;
	for (int i = 0; i < n; i++) {
		ssize_t got;

		while ((got = recv(rx[i], buf, sizeof buf - 1, MSG_DONTWAIT)) >= 0) {
			int flow, k;

			buf[got] = '\0';
			if (sscanf(buf, "%d:%d", &flow, &k) != 2 || flow < 0 || flow >= flows || k < 0 ||
			    k >= per_flow)
				continue;
			d->per_socket[i]++;
			d->flow_socks[flow] |= 1u << i;
			if (!d->got[flow * per_flow + k]) {
				d->got[flow * per_flow + k] = 1;
				d->seen++;
			}
		}
		say("%s: recv() x %d datagrams", names[i], d->per_socket[i]);
	}
}

/* `conns` connections from the client namespace to dst:PORT (connection i
 * is flow i), each accepted on whichever listener the kernel chose and
 * matched to its client by port. */
HELPER void tcp_count(const int *listeners, const char *const *names, int n, const char *dst,
		      int conns, struct delivery *d)
{
	struct sockspec client = { .name = "client", .type = SOCK_STREAM, .addr = dst, .v6only = -1 };
	int clients[MAX_FLOWS], accepted[MAX_FLOWS * 2], naccepted = 0;
	int ports[MAX_FLOWS];
	long long end;
	char ip[64];

	memset(d, 0, sizeof *d);
	d->receivers = n;
	d->flows = d->sent = conns;
	to_client();
	for (int i = 0; i < conns; i++) {
		struct step r = NO_STEP;

		sock_open(&r, &client, &clients[i]);
		sock_connect(&r, &client, clients[i], dst, PORT);
		if (r.err)
			fail("connection %d: %s", i, errname(r.err));
		ports[i] = sock_port(&client, clients[i], ip, sizeof ip);
	}
	to_server();
	end = now_ms() + WAIT_MS;
	while (d->seen < conns) {
		for (int l = 0; l < n; l++) {
			struct pollfd p = { .fd = listeners[l], .events = POLLIN };
			struct sockaddr_storage peer;
			socklen_t len = sizeof peer;
			int fd, port;

			while (poll(&p, 1, 0) == 1 &&
			       (fd = accept4(listeners[l], (struct sockaddr *)&peer, &len, SOCK_CLOEXEC)) >= 0) {
				port = ntohs(peer.ss_family == AF_INET ? ((struct sockaddr_in *)&peer)->sin_port
								       : ((struct sockaddr_in6 *)&peer)->sin6_port);
				if (naccepted < MAX_FLOWS * 2)
					accepted[naccepted++] = fd;
				else
					close(fd);
				for (int i = 0; i < conns; i++)
					if (ports[i] == port) {
						d->per_socket[l]++;
						d->flow_socks[i] |= 1u << l;
						d->seen++;
					}
				len = sizeof peer;
			}
		}
		if (d->seen < conns && now_ms() > end)
			fail("waited %d s for %d connections to be accepted (accepted %d)", WAIT_MS / 1000,
			     conns, d->seen);
		if (d->seen < conns)
			poll(NULL, 0, 1);
	}
	for (int l = 0; l < n; l++)
		say("%s: accept() x %d connections", names[l], d->per_socket[l]);
	for (int i = 0; i < naccepted; i++)
		close(accepted[i]);
	for (int i = 0; i < conns; i++)
		close(clients[i]);
}

/* The suite's words (fixtures/delivery.cc classify). */
HELPER void classify(const struct delivery *d)
{
	int got = 0, last = 0, every = d->receivers > 1, sticky = 1;

	if (d->sent == 0 || d->seen == 0) {
		snprintf(outcome, sizeof outcome, "none");
		return;
	}
	if (d->seen < d->sent) {
		snprintf(outcome, sizeof outcome, "lost");
		return;
	}
	for (int i = 0; i < d->receivers; i++) {
		if (d->per_socket[i] > 0) {
			got++;
			last = i;
		}
		if (d->per_socket[i] != d->sent)
			every = 0;
	}
	if (every)
		snprintf(outcome, sizeof outcome, "all");
	else if (got == 1 && last == d->receivers - 1)
		snprintf(outcome, sizeof outcome, "last_bound");
	else if (got == 1 && last == 0)
		snprintf(outcome, sizeof outcome, "first_bound");
	else if (got == 1)
		snprintf(outcome, sizeof outcome, "only_sock%d", last + 1);
	else {
		for (int f = 0; f < d->flows; f++)
			sticky = sticky && __builtin_popcount(d->flow_socks[f]) == 1;
		snprintf(outcome, sizeof outcome, "%s",
			 !sticky ? "mixed" : got == d->receivers ? "spread" : "spread_partial");
	}
}

/* The receiver joins an IPv4 multicast group on a device. */
HELPER void join_group(const struct sockspec *s, int fd, const char *group, const char *dev)
{
	struct ip_mreqn m = { .imr_ifindex = ifindex(dev) };
	char call[96];
	int rc;

	if (inet_pton(AF_INET, group, &m.imr_multiaddr) != 1)
		fail("bad group %s", group);
	rc = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m);
	snprintf(call, sizeof call, "setsockopt(IP_ADD_MEMBERSHIP, %s on %s)", group, dev);
	result(s->name, call, rc, errno);
	if (rc != 0)
		fail("join %s on %s: %s", group, dev, strerror(errno));
}
