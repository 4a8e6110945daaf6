"""Every suite's shared test support is one plugin: tests/support/kitty_testing.py."""

pytest_plugins = ("kitty_testing",)
