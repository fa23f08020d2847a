"""The registry of reproducer writers: each case kind a reproducer can be
made for has one function, params -> Program, registered with
@writers.register("<kind>") in the module of its family (bind_steps.py,
timewait_steps.py, delivery_steps.py, ephemeral_steps.py,
explorer_steps.py). A kind without one gets no reproducer yet."""
from . import csource

WRITERS = {}


def register(*kinds):
    def add(fn):
        for kind in kinds:
            WRITERS[kind] = fn
        return fn
    return add


class Unsupported(Exception):
    """A case of a covered kind whose parameters ask for something the
    reproducers cannot make yet (the message says what)."""


class Program:
    """A reproducer's own part: the fragments it needs beyond the common
    ones, its data (socket specs) and the body of `static void run(void)`,
    which leaves the outcome in `outcome`. `sockets` are the C variables of
    the case's sockets (spec, fd), in the case's order."""

    def __init__(self, *fragments):
        self.fragments = [*csource.COMMON, *fragments]
        self.decls = []
        self.locals = ["struct step r = NO_STEP;"]
        self.body = []
        self.sockets = []

    def socket(self, obj, proto, name=None, port="PORT"):
        """Declares the next socket of the case; returns (spec, fd) names."""
        n = len(self.sockets) + 1
        var, fd = f"sock{n}", f"fd{n}"
        self.decls += csource.spec(var, obj, proto, name or var, port)
        self.locals.append(f"int {fd} = -1;")
        self.sockets.append((var, fd))
        return var, fd

    def extra(self, var, obj, proto, name, port="PORT", fd=False):
        """A socket outside the case's numbering (a fresh comparison, a
        peer): its spec, and with fd=True a descriptor variable for it."""
        self.decls += csource.spec(var, obj, proto, name, port)
        if fd:
            self.locals.append(f"int fd_{var} = -1;")
        return var, f"fd_{var}"

    def add(self, *lines):
        self.body += lines

    def fail_if(self, what):
        """A step the case needs (not its outcome): its failure ends the run."""
        self.add("if (r.err)",
                 f'\tfail("%s: %s", {csource.cstr(what)}, errname(r.err));')

    def c_lines(self):
        out = [*self.decls, "", "static void run(void)", "{"]
        out += ["\t" + line for line in self.locals] + [""]
        body = self.body[1:] if self.body[:1] == [""] else self.body
        out += [("\t" + line) if line else "" for line in body]
        return out + ["}"]
