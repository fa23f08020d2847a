"""What is known about a guest kernel before it boots: its configuration
(a tree's .config, a package's config) against suites/config. A kernel that
lacks an option every case needs is refused at once, naming the option,
instead of booting to fail every case; the options only some cases need are
named with the cases they skip, as a host run names them."""
from sockreuse.errors import RunnerError
from sockreuse.kconfig import check
from sockreuse.kernels import choose

PREFIX = "sockreuse: "


def _plain(line):
    return line[len(PREFIX):] if line.startswith(PREFIX) else line


def check_kernel(kernel, say, cases):
    """Says what the kernel's configuration lacks; returns the refusal (one
    line, without the "sockreuse: " prefix) or None."""
    label = choose.label(kernel)
    path = choose.config_file(kernel)
    if path is None:
        say(f"{label}: no configuration file comes with this kernel: not checked against "
            "suites/config")
        return None
    try:
        report = check.of_file(path, cases, subject=f"kernel {kernel['release']}")
    except RunnerError as e:
        say(f"{label}: its configuration could not be read ({e}): not checked")
        return None
    refusal = report.refusal()
    if refusal:
        return _plain(refusal)
    for line in report.lines():
        say(f"{label}: {_plain(line)}")
    return None
