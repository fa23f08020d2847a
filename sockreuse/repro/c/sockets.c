/* A socket of the case as its parameters give it; every call on it prints
 * one line, "<name>: <call> = <result>". */
struct sockspec {
	const char *name;   /* sock1, sock2, ... as the case numbers them */
	int type;           /* SOCK_STREAM or SOCK_DGRAM */
	const char *addr;   /* the address bound */
	const char *scope;  /* the device of an IPv6 scope id, or NULL */
	int port;           /* PORT, 0 for bind(0), or another port */
	int reuseaddr;      /* SO_REUSEADDR before bind() */
	int reuseport;      /* SO_REUSEPORT before bind() */
	int v6only;         /* IPV6_V6ONLY, -1: the namespace's default */
	const char *device; /* SO_BINDTODEVICE before bind(), or NULL */
	unsigned euid;      /* socket() and its options run under this EUID */
};

/* A call's result: which call, and its errno (0: it succeeded). Each sock_*
 * helper does nothing once an earlier step of the same chain failed. */
struct step {
	const char *call;
	int err;
};

#define NO_STEP ((struct step){ "bind", 0 })

static void result(const char *who, const char *call, int rc, int err)
{
	if (rc < 0)
		say("%s: %s = -1 %s", who, call, errname(err));
	else
		say("%s: %s = %d", who, call, rc);
}

static struct sockaddr_storage sockaddr_of(const char *ip, const char *scope, int port,
					   socklen_t *len)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof ss);
	if (family_of(ip) == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, ip, &a->sin_addr) != 1)
			fail("bad address %s", ip);
		*len = sizeof *a;
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, ip, &a->sin6_addr) != 1)
			fail("bad address %s", ip);
		if (scope)
			a->sin6_scope_id = (uint32_t)ifindex(scope);
		*len = sizeof *a;
	}
	return ss;
}

/* "198.51.100.1:8888", "[2001:db8:1::1]:8888", "[fe80::1%s0]:8888". */
static const char *addr_text(const char *ip, const char *scope, int port)
{
	static char buf[4][96];
	static int next;
	char *out = buf[next++ % 4];

	if (family_of(ip) == AF_INET)
		snprintf(out, sizeof buf[0], "%s:%d", ip, port);
	else
		snprintf(out, sizeof buf[0], "[%s%s%s]:%d", ip, scope ? "%" : "", scope ? scope : "",
			 port);
	return out;
}

static void as_euid(const char *who, unsigned euid)
{
	char call[32];
	int rc = setresuid((uid_t)-1, (uid_t)euid, (uid_t)-1);

	snprintf(call, sizeof call, "seteuid(%u)", euid);
	result(who, call, rc, errno);
	if (rc != 0)
		fail("%s: seteuid(%u): %s", who, euid, strerror(errno));
}

static void setint(struct step *r, const char *who, int fd, int level, int name,
		   const char *text, int value)
{
	char call[64];
	int rc, err;

	if (r->err)
		return;
	rc = setsockopt(fd, level, name, &value, sizeof value);
	err = errno;
	snprintf(call, sizeof call, "setsockopt(%s, %d)", text, value);
	result(who, call, rc, err);
	if (rc != 0)
		*r = (struct step){ "setsockopt", err };
}

HELPER void sock_setdev(struct step *r, const struct sockspec *s, int fd, const char *dev)
{
	char call[64];
	int rc, err;

	if (r->err)
		return;
	/* An empty name (its NUL only) unbinds the socket from its device. */
	rc = setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1);
	err = errno;
	snprintf(call, sizeof call, "setsockopt(SO_BINDTODEVICE, \"%s\")", dev);
	result(s->name, call, rc, err);
	if (rc != 0)
		*r = (struct step){ "setsockopt", err };
}

/* SO_REUSEADDR or SO_REUSEPORT on a socket that already exists. */
HELPER void sock_setopt(struct step *r, const struct sockspec *s, int fd, int name, int value)
{
	if (r->err)
		return;
	setint(r, s->name, fd, SOL_SOCKET, name, name == SO_REUSEADDR ? "SO_REUSEADDR" : "SO_REUSEPORT",
	       value);
}

/* socket(), then its options, under its EUID when it has one. */
HELPER void sock_open(struct step *r, const struct sockspec *s, int *fd)
{
	int family = family_of(s->addr), err;
	char call[64];

	if (r->err)
		return;
	if (s->euid)
		as_euid(s->name, s->euid);
	*fd = socket(family, s->type | SOCK_CLOEXEC, 0);
	err = errno;
	snprintf(call, sizeof call, "socket(%s, %s, 0)", family == AF_INET ? "AF_INET" : "AF_INET6",
		 s->type == SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM");
	result(s->name, call, *fd, err);
	if (*fd < 0)
		*r = (struct step){ "socket", err };
	if (s->v6only >= 0)
		setint(r, s->name, *fd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", s->v6only);
	if (s->reuseaddr)
		setint(r, s->name, *fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1);
	if (s->reuseport)
		setint(r, s->name, *fd, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT", 1);
	if (s->device)
		sock_setdev(r, s, *fd, s->device);
	if (s->euid)
		as_euid(s->name, 0);
}

HELPER void sock_bind(struct step *r, const struct sockspec *s, int fd)
{
	socklen_t len;
	struct sockaddr_storage ss = sockaddr_of(s->addr, s->scope, s->port, &len);
	char call[128];
	int rc, err;

	if (r->err)
		return;
	rc = bind(fd, (struct sockaddr *)&ss, len);
	err = errno;
	snprintf(call, sizeof call, "bind(%s)", addr_text(s->addr, s->scope, s->port));
	result(s->name, call, rc, err);
	*r = (struct step){ "bind", rc ? err : 0 };
}

HELPER void sock_listen(struct step *r, const struct sockspec *s, int fd, int backlog)
{
	char call[32];
	int rc, err;

	if (r->err)
		return;
	rc = listen(fd, backlog);
	err = errno;
	snprintf(call, sizeof call, "listen(%d)", backlog);
	result(s->name, call, rc, err);
	*r = (struct step){ "listen", rc ? err : 0 };
}

/* A blocking connect(); a TCP handshake that does not complete within
 * WAIT_MS is a harness error (SO_SNDTIMEO), a refusal is the call's result. */
HELPER void sock_connect(struct step *r, const struct sockspec *s, int fd, const char *ip, int port)
{
	struct timeval tv = { WAIT_MS / 1000, (WAIT_MS % 1000) * 1000 };
	socklen_t len;
	struct sockaddr_storage ss = sockaddr_of(ip, NULL, port, &len);
	char call[128];
	int rc, err;

	if (r->err)
		return;
	if (s->type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
		fail("SO_SNDTIMEO: %s", strerror(errno));
	rc = connect(fd, (struct sockaddr *)&ss, len);
	err = errno;
	if (rc != 0 && (err == EINPROGRESS || err == EAGAIN))
		fail("waited %d s for the connection to %s", WAIT_MS / 1000, addr_text(ip, NULL, port));
	snprintf(call, sizeof call, "connect(%s)", addr_text(ip, NULL, port));
	result(s->name, call, rc, err);
	*r = (struct step){ "connect", rc ? err : 0 };
}

/* The local address and port the kernel gave the socket. */
HELPER int sock_port(const struct sockspec *s, int fd, char *ip, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int port;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		fail("%s: getsockname: %s", s->name, strerror(errno));
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, (socklen_t)size);
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	} else {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, (socklen_t)size);
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	say("%s: getsockname() = %s", s->name, addr_text(ip, NULL, port));
	return port;
}

HELPER void sock_close(const struct sockspec *s, int *fd)
{
	if (*fd < 0)
		return;
	int rc = close(*fd);

	result(s->name, "close()", rc, errno);
	*fd = -1;
}

/* "ok", "<call>:<ERRNO>", or with sock > 0 "sock<N>.<call>:<ERRNO>". */
HELPER void set_outcome(int sock, struct step r)
{
	if (!r.err)
		snprintf(outcome, sizeof outcome, "ok");
	else if (sock)
		snprintf(outcome, sizeof outcome, "sock%d.%s:%s", sock, r.call, errname(r.err));
	else
		snprintf(outcome, sizeof outcome, "%s:%s", r.call, errname(r.err));
}

HELPER int conflict(void)
{
	return strstr(outcome, "EADDRINUSE") != NULL;
}

/* The positive control of a conflict: the same socket, fresh, without the
 * blocker (`when`: closed, or not made yet) must bind (and listen): then
 * the blocker was the cause. */
HELPER void control(const struct sockspec *s, int and_listen, const char *when)
{
	struct sockspec c = *s;
	struct step r = NO_STEP;
	int fd = -1;

	c.name = "control";
	sock_open(&r, &c, &fd);
	sock_bind(&r, &c, fd);
	if (and_listen)
		sock_listen(&r, &c, fd, 16);
	sock_close(&c, &fd);
	if (r.err)
		say("control: %s:%s %s: something else refused it", r.call, errname(r.err), when);
	else
		say("control: ok %s", when);
}

/* Closes with a reset (SO_LINGER 0): the connection leaves no TIME_WAIT. */
HELPER void sock_abort(const struct sockspec *s, int *fd)
{
	struct linger l = { 1, 0 };
	int rc;

	if (*fd < 0)
		return;
	rc = setsockopt(*fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	result(s->name, "setsockopt(SO_LINGER, {1, 0})", rc, errno);
	sock_close(s, fd);
}

/* The sockets made and bound fresh in order (each listening where asked),
 * on their own specs' port: the first failure, or none; closed again. */
HELPER struct step fresh_result(const struct sockspec *const *specs, const int *listen, int n)
{
	struct step r = NO_STEP;
	int fds[8], i;

	if (n > 8)
		fail("fresh_result: at most 8 sockets");
	for (i = 0; i < n && !r.err; i++) {
		fds[i] = -1;
		sock_open(&r, specs[i], &fds[i]);
		sock_bind(&r, specs[i], fds[i]);
		if (listen[i])
			sock_listen(&r, specs[i], fds[i], 128);
	}
	while (i-- > 0)
		sock_close(specs[i], &fds[i]);
	if (r.err)
		say("fresh: %s:%s", r.call, errname(r.err));
	else
		say("fresh: ok");
	return r;
}

/* Whether two address texts name the same address. */
HELPER int same_addr(const char *a, const char *b)
{
	unsigned char x[16], y[16];
	int family = family_of(a);

	return family == family_of(b) && inet_pton(family, a, x) == 1 && inet_pton(family, b, y) == 1 &&
	       memcmp(x, y, family == AF_INET ? 4 : 16) == 0;
}
