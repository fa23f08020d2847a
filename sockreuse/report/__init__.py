"""The cross-kernel compatibility report (HTML and Markdown) and the agreement check of two runs."""
