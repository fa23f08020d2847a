"""The explorer: the space of bind sequences, baselines, and differences described as patterns."""
