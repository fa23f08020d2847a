"""Reproducers of the cases that bind sockets in the server namespace, in
order, and judge the last one: bind sequences (with the scope set-ups:
link-local addresses, net.ipv6.bindv6only), the selftest's bind_wildcard
pairs, port sequences (bind(0) in a shrunken port range) and options
changed on a bound socket. The steps are the suite's (fixtures/sequence.cc,
suites/scope.cc, selftests_bind_wildcard.cc, port_select.cc,
device_reuse.cc, after_bind.cc); only the parameters say what to bind."""
from sockreuse import topology_facts

from . import csource, writers
from .csource import cstr


def describe(obj):
    """A socket object in the suite's words: "0.0.0.0 reuseaddr dev=s0 listen"."""
    words = [obj["addr"] + (f"%{obj['scope']}" if obj.get("scope") else "")]
    words += [w for w, on in (("reuseaddr", obj["reuseaddr"]), ("reuseport", obj["reuseport"]),
                              ("v6only", obj.get("v6only") is True),
                              ("dualstack", obj.get("v6only") is False)) if on]
    if obj.get("device"):
        words.append(f"dev={obj['device']}")
    if obj.get("euid"):
        words.append(f"euid={obj['euid']}")
    words += [f"{k}@{w.replace('_bind', '').replace('_', ' ')}"
              for k, w in sorted(obj["timing"].items())]
    if obj["state"] not in ("bound",):
        words.append(obj["state"])
    return " ".join(words)


def sysctl_lines(sysctls):
    """sysctl_write() calls for a case's sysctls (lists as the kernel reads
    them: a range "low high", ports comma-separated); empty lists are the
    namespace's default already."""
    out = []
    for key, value in sysctls.items():
        if isinstance(value, list):
            if not value:
                continue
            text = (" " if key.endswith("port_range") else ",").join(str(v) for v in value)
        else:
            text = str(value)
        out.append(f"sysctl_write({cstr(key)}, {cstr(text)});")
    return out


def conclude(n, var, listen, held):
    """The end of a sequence at socket n (0: the last, its token plain):
    the outcome, then for a conflict its control with every socket closed."""
    return [f"set_outcome({n}, r);", "if (conflict()) {", *indented(close_lines(held)),
            f"\tcontrol(&{var}, {int(listen)}, \"with the blocker closed\");", "}"]


def close_lines(held):
    return [f"sock_close(&{v}, &{f});" for v, f in reversed(held)]


def indented(lines):
    return ["\t" + line for line in lines]


def sequence(prog, p, setup=(), after_socket=None):
    """The sockets of p bound in order (and listening where their state says):
    the last one's result, or sock<N>.<call>:<ERRNO> for an earlier failure.
    `after_socket` (n, lines): lines run right after socket n is made."""
    prog.add(*setup)
    socks = p["sockets"]
    for i, obj in enumerate(socks, 1):
        var, fd = prog.socket(obj, p["proto"])
        prog.add("", csource.comment(f"{var}: {describe(obj)}"))
        lines = csource.bring_up(var, fd, obj)
        prog.add(lines[0])
        if after_socket and after_socket[0] == i:
            prog.add(*after_socket[1])
        prog.add(*lines[1:])
        listen = obj["state"] == "listen"
        if i < len(socks):
            prog.add("if (r.err) {", *indented(conclude(i, var, listen, prog.sockets)),
                     "\treturn;", "}")
        else:
            prog.add(*conclude(0, var, listen, prog.sockets))


@writers.register("bind_sequence")
def bind_sequence(p):
    if p["sysctls"]:
        raise writers.Unsupported(f"a bind sequence with sysctls {sorted(p['sysctls'])}")
    prog = writers.Program()
    sequence(prog, p)
    return prog


@writers.register("scoped_sequence")
def scoped_sequence(p):
    """A bind sequence after its scope set-up: the link-local address on
    each of its links (no DAD), and sysctls set before the sockets are made,
    or after the first `sysctls_after_socket` of them."""
    prog = writers.Program()
    setup = []
    ll = p.get("link_local")
    if ll:
        nets = {str(i.ip): i.network.prefixlen for i in topology_facts.load().link_local.values()}
        for link in ll["links"]:
            setup.append(f"addr_add({cstr(link)}, {cstr(ll['addr'])}, {nets[ll['addr']]});")
        setup += [f"wait_addr_ready({cstr(ll['addr'])}, {cstr(link)});" for link in ll["links"]]
    sysctls = sysctl_lines(p["sysctls"])
    after = p.get("sysctls_after_socket", 0)
    if after:
        sequence(prog, p, setup, (after, sysctls))
    else:
        sequence(prog, p, setup + sysctls)
    return prog


@writers.register("bind_wildcard")
def bind_wildcard(p):
    """The selftest's pair, then each socket of `then` on the same port:
    binds:<second>|<then, comma-separated>."""
    prog = writers.Program()
    first, second = p["sockets"]
    v1, f1 = prog.socket(first, "tcp")
    prog.add(csource.comment(f"{v1}: {describe(first)}"), *csource.bring_up(v1, f1, first))
    prog.add("if (r.err) {", "\tset_outcome(1, r);", "\treturn;", "}")
    names = []
    for obj in (second, *p["then"]):
        var, fd = prog.socket(obj, "tcp")
        names.append(var)
        prog.add("", csource.comment(f"{var}: {describe(obj)}"), "r = NO_STEP;",
                 *csource.bring_up(var, fd, obj), f"int err{var[4:]} = r.err;")
    errs = [f"err{v[4:]}" for v in names]
    fmt = "binds:%s|" + ",".join(["%s"] * (len(errs) - 1))
    prog.add("", f"snprintf(outcome, sizeof outcome, {cstr(fmt)},",
             "\t " + ", ".join(f"errname({e})" for e in errs) + ");",
             csource.comment("the control: alone on the port, each socket refused binds"),
             "if (conflict()) {")
    prog.add(*indented(close_lines(prog.sockets)))
    for var, err in zip(names, errs):
        prog.add(f"\tif ({err} == EADDRINUSE)", f"\t\tcontrol(&{var}, 0, \"with the others closed\");")
    prog.add("}")
    return prog


def port_word_decl(sysctls):
    """port_word(): the suite's word for a port bind(0) picked
    (fixtures/port_choice.cc), for the case's range and reserved ports."""
    low, high = sysctls["net.ipv4.ip_local_port_range"]
    reserved = list(sysctls.get("net.ipv4.ip_local_reserved_ports") or [])
    some = any(low <= n <= high for n in reserved)
    return ["static const char *port_word(int got)", "{",
            f"\tstatic const int reserved[] = {{ {', '.join(map(str, reserved + [-1]))} }};", "",
            "\tfor (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)",
            "\t\tif (reserved[i] == got)", '\t\t\treturn "reserved_taken";',
            f"\tif (got < {low} || got > {high})", '\t\treturn "port_outside_range";',
            f"\treturn {cstr('reserved_skipped' if some else 'port_in_range')};", "}"]


@writers.register("port_sequence")
def port_sequence(p):
    """Sockets bound in order, each on its port or with bind(0), in the
    case's port range: the word for a picked port, or the call's token."""
    prog = writers.Program()
    if any(obj["port"] == 0 for obj in p["sockets"]):
        prog.decls += port_word_decl(p["sysctls"])
        prog.locals += ["char ip[64];", "int got;"]
    prog.add(*sysctl_lines(p["sysctls"]))
    socks = p["sockets"]
    for i, obj in enumerate(socks, 1):
        last = i == len(socks)
        var, fd = prog.socket(obj, p["proto"], port=obj["port"])
        prog.add("", csource.comment(f"{var}: {describe(obj)}, "
                                     + ("bind(0)" if obj["port"] == 0 else f"port {obj['port']}")),
                 *csource.bring_up(var, fd, obj), "if (r.err) {",
                 *indented(conclude(0 if last else i, var, obj["state"] == "listen",
                                    prog.sockets)), "\treturn;", "}")
        if obj["port"] == 0:
            prog.add(f"got = sock_port(&{var}, {fd}, ip, sizeof ip);",
                     "snprintf(outcome, sizeof outcome, \"%s\", port_word(got));")
            if not last:
                prog.add('if (strcmp(outcome, "port_in_range") != 0 &&',
                         '    strcmp(outcome, "reserved_skipped") != 0)', "\treturn;")
        elif last:
            prog.add("set_outcome(0, r);")
    return prog


@writers.register("option_change")
def option_change(p):
    """The first `change_after_socket` sockets bind; sock1's options become
    `sock1_after_change`; then the last socket (if any) binds. A step the
    same sockets bound fresh with their current options (on PORT + 1) are
    refused is `stale_ok`."""
    proto, n = p["proto"], p["change_after_socket"]
    bound, later = p["sockets"][:n], p["sockets"][n:]
    prog = writers.Program()
    prog.locals.append("struct step fresh = NO_STEP;")
    for obj in bound:
        var, fd = prog.socket(obj, proto)
        prog.add(csource.comment(f"{var}: {describe(obj)}"), *csource.bring_up(var, fd, obj))
        prog.fail_if(f"the case's premise: {var}")
    changed = {**bound[0], **p["sock1_after_change"]}
    prog.add("", csource.comment(f"sock1 changed to: {describe(changed)}"))
    for option in csource.TIMED:
        if bound[0][option] != changed[option]:
            prog.add(csource.option_change("sock1", "fd1", option, changed[option]))
    prog.add("if (r.err) {", "\tset_outcome(0, r);", "\treturn;", "}")
    now = []
    for i, obj in enumerate([changed] + bound[1:], 1):
        var, _ = prog.extra(f"fresh{i}", obj, proto, f"fresh sock{i}", "PORT + 1")
        now.append((var, obj["state"] == "listen"))
    prog.add("", csource.comment("the same sockets bound fresh with their current options"))
    if not later:
        prog.add(fresh_call(now))
        prog.add("set_outcome(0, NO_STEP);")
    else:
        last = later[0]
        lvar, _ = prog.extra("fresh_last", last, proto, "fresh last", "PORT + 1")
        for var, listen in now:
            prog.add("if (!fresh.err)",
                     "\t" + fresh_call([(var, listen), (lvar, last["state"] == "listen")]))
        var, fd = prog.socket(last, proto)
        prog.add("", csource.comment(f"{var}: {describe(last)}"),
                 *csource.bring_up(var, fd, last), "set_outcome(0, r);")
    prog.add("if (!r.err && fresh.err)", '\tsnprintf(outcome, sizeof outcome, "stale_ok");')
    if later:
        prog.add("if (conflict()) {", *indented(close_lines(prog.sockets)),
                 f"\tcontrol(&{prog.sockets[-1][0]}, {int(later[0]['state'] == 'listen')}, "
                 '"with the changed sockets closed");', "}")
    return prog


def fresh_call(socks):
    """fresh = the first failure of these sockets bound fresh, or none."""
    specs = ", ".join(f"&{var}" for var, _ in socks)
    listens = ", ".join(str(int(listen)) for _, listen in socks)
    return (f"fresh = fresh_result((const struct sockspec *[]){{ {specs} }}, "
            f"(const int[]){{ {listens} }}, {len(socks)});")
