/* A real connection to a listener, and the TIME_WAIT the server's side
 * enters when it closes first. A loopback target is connected from the
 * server namespace, any other from the client namespace. */
static const struct sockspec client_spec = { .name = "client", .type = SOCK_STREAM, .v6only = -1 };
static const struct sockspec accepted_spec = { .name = "accepted", .type = SOCK_STREAM,
					       .v6only = -1 };

static int loopback(const char *ip)
{
	unsigned char a[16];

	if (family_of(ip) == AF_INET)
		return inet_pton(AF_INET, ip, a) == 1 && a[0] == 127;
	return inet_pton(AF_INET6, ip, a) == 1 && IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a);
}

/* A client connects to `to`:PORT and the listener lfd accepts it: the
 * accepted socket in *afd, the client's in *cfd. A refused connection is
 * the step's result. */
HELPER struct step serve_one(int lfd, const char *to, int *afd, int *cfd)
{
	struct sockspec client = client_spec;
	struct step r = NO_STEP;

	client.addr = to;
	if (!loopback(to))
		to_client();
	sock_open(&r, &client, cfd);
	if (!loopback(to))
		to_server();
	sock_connect(&r, &client, *cfd, to, PORT);
	if (r.err)
		return r;
	wait_readable(lfd, "the connection to reach the accept queue");
	*afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	result("server", "accept()", *afd, errno);
	if (*afd < 0)
		fail("accept: %s", strerror(errno));
	return r;
}

/* Lines of /proc/net/tcp{,6} (this namespace's) in TIME_WAIT on PORT. */
static int timewait_on_port(const void *unused)
{
	const char *files[] = { "/proc/self/net/tcp", "/proc/self/net/tcp6" };
	char line[512];
	int found = 0;

	(void)unused;
	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");
		unsigned port, state;

		if (!f)
			continue;
		while (fgets(line, sizeof line, f))
			if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &port, &state) ==
				    2 &&
			    port == PORT && state == 6 /* TCP_TIME_WAIT */)
				found = 1;
		fclose(f);
	}
	return found;
}

/* The server closes the accepted socket first, the client reads the EOF
 * and closes: the server's side enters TIME_WAIT, which is waited for. */
HELPER void close_server_first(int *afd, int *cfd)
{
	char c;
	ssize_t n;

	sock_close(&accepted_spec, afd);
	wait_readable(*cfd, "the client to see the server's FIN");
	n = read(*cfd, &c, 1);
	result("client", "read()", (int)n, errno);
	if (n != 0)
		fail("the client expected EOF");
	sock_close(&client_spec, cfd);
	wait_until(timewait_on_port, NULL, "the server's socket to reach TIME_WAIT");
	say("server: a socket on port %d is in TIME_WAIT (/proc/net/tcp)", PORT);
}
