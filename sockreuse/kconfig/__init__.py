"""The kernel configuration the suite needs (suites/config) against a kernel's own."""
