# The suite's pytest run: one item per case, collected from suite.cases by
# the sockreuse package's plugin.
pytest_plugins = ["sockreuse.run.plugin"]
