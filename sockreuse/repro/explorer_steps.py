"""Reproducers of the explorer's sequences (explore/sequence.cc,
explore/triple.cc): a key's parameters (sockreuse.model.sequences
explore_params) or a curated case that runs one (kind explorer_key).
Socket 1 gets its options before bind(), after it, or before it and
cleared after it, and is brought to its state (bound, listening,
TIME_WAIT or ESTABLISHED through a real connection to `connect_to` whose
listener is then closed, or UDP connect()ed to `peer`); a pair's socket 2
then binds and, for TCP, listens. A triple's socket 2 is brought to its
own state, socket 1 clears what its `timing` says, and socket 3 binds."""
from . import csource, writers
from .bind_steps import close_lines, describe, indented
from .csource import cstr

PEER_PORT = 9  # where a connected UDP socket connects (explore/input.cc)
BACKLOG = 16  # the explorer's listen() backlog


def first_up(prog, p, var, fd):
    """Socket 1 brought to its state; r says how far it got."""
    obj = p["sockets"][0]
    state = obj["state"]
    prog.add(csource.comment(f"{var}: {describe(obj)}"),
             *csource.bring_up(var, fd, obj, listen=state != "bound" and state != "connected",
                               backlog=BACKLOG))
    if state == "connected":
        prog.add(f"sock_connect(&r, &{var}, {fd}, {cstr(p['peer'])}, {PEER_PORT});")
    if state in ("timewait", "established"):
        prog.add("if (!r.err) {",
                 f"\tr = serve_one({fd}, {cstr(p['connect_to'])}, &afd, &cfd);",
                 f"\tsock_close(&{var}, &{fd}); /* the listener goes; its connection stays */")
        if state == "timewait":
            prog.add("\tif (!r.err)", "\t\tclose_server_first(&afd, &cfd);")
        prog.add("}")


def close_all(socks):
    """What the explorer closes before a control: the connection with a
    reset (no TIME_WAIT), the client, every socket."""
    return ["sock_abort(&accepted_spec, &afd);", "sock_close(&client_spec, &cfd);",
            *close_lines(socks)]


def failed(prog, n, var, listen, early):
    """Socket n's step failed: sock<n>.<token>, with its control."""
    prog.add("if (r.err) {", f"\tset_outcome({n}, r);")
    if early:
        prog.add("\treturn; /* its control ran before the TIME_WAIT */", "}")
        return
    prog.add("\tif (conflict()) {", *indented(indented(close_all(prog.sockets))),
             f"\t\tcontrol(&{var}, {int(listen)}, \"with the blocker closed\");", "\t}",
             "\treturn;", "}")


def last(prog, var, fd, obj, tcp, tw):
    prog.add("", csource.comment(f"{var}: {describe(obj)}"), "r = NO_STEP;",
             *csource.bring_up(var, fd, obj, listen=tcp, backlog=BACKLOG), "set_outcome(0, r);")
    if not tw:
        prog.add("if (conflict()) {", *indented(close_all(prog.sockets)),
                 f"\tcontrol(&{var}, {int(tcp)}, \"with the blocker closed\");", "}")


def program(p):
    prog = writers.Program("connection")
    prog.locals.append("int afd = -1, cfd = -1;")
    return prog, p["proto"] == "tcp", p["sockets"][0]["state"] == "timewait"


@writers.register("explore_sequence", "explorer_key")
def pair(p):
    prog, tcp, tw = program(p)
    first, second = p["sockets"]
    v1, f1 = prog.socket(first, p["proto"])
    v2, f2 = prog.socket(second, p["proto"])
    if tw:
        prog.add(csource.comment("the control first: a TIME_WAIT cannot be undone"),
                 f"control(&{v2}, {int(tcp)}, \"before the TIME_WAIT exists\");", "")
    first_up(prog, p, v1, f1)
    failed(prog, 1, v1, tcp and first["state"] != "bound", False)
    last(prog, v2, f2, second, tcp, tw)
    return prog


@writers.register("explore_triple")
def triple(p):
    prog, tcp, tw = program(p)
    first, second, third = p["sockets"]
    v1, f1 = prog.socket(first, p["proto"])
    v2, f2 = prog.socket(second, p["proto"])
    v3, f3 = prog.socket(third, p["proto"])
    if tw:
        prog.add(csource.comment("the controls first: a TIME_WAIT cannot be undone"),
                 f"control(&{v2}, {int(second['state'] == 'listen')}, \"before the TIME_WAIT "
                 "exists\");",
                 f"control(&{v3}, {int(tcp)}, \"before the TIME_WAIT exists\");", "")
    first_up(prog, p, v1, f1)
    failed(prog, 1, v1, tcp and first["state"] != "bound", False)
    prog.add("", csource.comment(f"{v2}: {describe(second)}"),
             *csource.bring_up(v2, f2, second, listen=second["state"] == "listen",
                               backlog=BACKLOG))
    if second["state"] == "connected":
        prog.add(f"sock_connect(&r, &{v2}, {f2}, {cstr(p['peer2'])}, {PEER_PORT});")
    failed(prog, 2, v2, second["state"] == "listen", tw)
    for option, when in first["timing"].items():
        if when == "cleared_after_second":
            prog.add("", csource.comment(f"{v1} clears its {option}"),
                     csource.option_change(v1, f1, option, None))
            prog.add("if (r.err) {", "\tset_outcome(1, r);", "\treturn;", "}")
    last(prog, v3, f3, third, tcp, tw)
    return prog
