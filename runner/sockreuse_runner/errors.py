"""Exit codes for bad input, each with a one-line message (see results/README.md)."""

EXIT_FAILED = 1          # pytest: some case failed or errored
EXIT_USAGE = 2           # a bad option or value
EXIT_NEW = 3             # cases without a table row, and no --allow-new
EXIT_NO_CASES = 5        # pytest: the filter selected no case
EXIT_BAD_TABLE = 6       # a malformed table: file and line in the message
EXIT_STALE_ROW = 7       # a table row names a case the suite no longer has
EXIT_NO_TABLE = 8        # no table for this kernel and none given
EXIT_NO_SUITE = 9        # the suite binary is missing or cannot list its cases


class RunnerError(Exception):
    def __init__(self, message, code):
        super().__init__(message)
        self.code = code
