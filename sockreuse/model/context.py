"""The state of one prediction: the kernel's feature set, the rules switched
off (for the dead-rule self-test), and the rules and features that decided."""


class Context:
    def __init__(self, features=(), disabled=()):
        self.features = frozenset(features)
        self.disabled = frozenset(disabled)
        self.used_features = []

    def on(self, rule):
        """Whether a rule takes part; a switched-off rule behaves as if the
        kernel had no such rule."""
        return rule not in self.disabled

    def has(self, feature):
        """Whether the kernel has a feature; remembered as deciding."""
        if feature not in self.used_features:
            self.used_features.append(feature)
        return feature in self.features
