"""Reproducers of a server restarted beside a TIME_WAIT (kind
timewait_rebind, fixtures/timewait.cc): a listener accepts a real
connection and closes it first, so its side enters TIME_WAIT (seen in
/proc/net/tcp before going on); the listener closes unless the case keeps
it; then a new socket binds (and listens). The control runs first: a
TIME_WAIT cannot be undone."""
from . import csource, writers
from .bind_steps import describe
from .csource import cstr


@writers.register("timewait_rebind")
def timewait_rebind(p):
    listener, fresh = p["sockets"][0], p["sockets"][-1]
    prog = writers.Program("connection")
    prog.locals.append("int afd = -1, cfd = -1;")
    lvar, lfd = prog.socket(listener, "tcp")
    nvar, nfd = prog.socket(fresh, "tcp")
    prog.add(csource.comment("the positive control first: a TIME_WAIT cannot be undone"),
             f"control(&{nvar}, {int(fresh['state'] == 'listen')}, \"before the TIME_WAIT "
             "exists\");", "",
             csource.comment(f"{lvar}, the listener: {describe(listener)}"),
             *csource.bring_up(lvar, lfd, listener, listen=True))
    prog.fail_if("the TIME_WAIT's listener")
    prog.add(f"r = serve_one({lfd}, {cstr(p['connection_to'])}, &afd, &cfd);")
    prog.fail_if("the TIME_WAIT's connection")
    if not p["listener_open"]:
        prog.add(f"sock_close(&{lvar}, &{lfd});")
    prog.add("close_server_first(&afd, &cfd);", "",
             csource.comment(f"{nvar}, the new socket: {describe(fresh)}"),
             *csource.bring_up(nvar, nfd, fresh), "set_outcome(0, r);")
    return prog
