"""suites/config: the kernel options the suite needs, one `CONFIG_X=y` or
`=m` a line as the kernel's selftests write theirs, so merge_config.sh can
merge it into a kernel tree as it is. Two comment lines divide it: the
options under "# Every case needs these:" are needed by every case (a kernel
without one runs nothing), those under "# Only the cases that name them ..."
by the cases whose "config" (--list-cases) names them. merge_config.sh
ignores the comments; this module reads them."""
import os
import re

from sockreuse.paths import REPO

FRAGMENT = os.path.join(REPO, "suites", "config")
EVERY_CASE = "# Every case needs these:"
NAMED = "# Only the cases that name them need these"

_OPTION = re.compile(r"(CONFIG_[A-Za-z0-9_]+)=([ym])")


class FragmentError(Exception):
    pass


class Fragment:
    """`options` ({name: "y" or "m"}, in the file's order), `every` and
    `named` (the names of each section, in order)."""

    def __init__(self, path):
        self.path = path
        self.options = {}
        self.every, self.named = [], []

    def wanted(self, name):
        """How the fragment asks for an option, as messages say it."""
        return "=y or =m" if self.options[name] == "m" else "=y"


def load(path=FRAGMENT):
    frag = Fragment(path)
    section = None
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            where = f"{path}:{number}"
            if line == EVERY_CASE:
                section = frag.every
            elif line.startswith(NAMED):
                section = frag.named
            elif line.startswith("# CONFIG_"):
                raise FragmentError(f"{where}: the fragment lists what the suite needs; "
                                    f"'{line}' turns an option off")
            elif not line or line.startswith("#"):
                continue
            else:
                m = _OPTION.fullmatch(line)
                if not m:
                    raise FragmentError(f"{where}: '{line}' is not CONFIG_NAME=y or =m")
                name, value = m.groups()
                if section is None:
                    raise FragmentError(f"{where}: {name} comes before '{EVERY_CASE}'")
                if name in frag.options:
                    raise FragmentError(f"{where}: {name} is listed twice")
                frag.options[name] = value
                section.append(name)
    return frag
