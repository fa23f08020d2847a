"""A guest run as a LAVA job: locally through lava-run, or submitted to a lab."""
