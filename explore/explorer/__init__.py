"""The explorer: every two-socket bind sequence of explore/space.yaml on the
running kernel, compared with a baseline per kernel series, differences
reported as minimal patterns (README "Explorer")."""
