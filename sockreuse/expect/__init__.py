"""The expected side: tables (base and deltas), their choice for a kernel, the outcome vocabulary, the seed claims."""
