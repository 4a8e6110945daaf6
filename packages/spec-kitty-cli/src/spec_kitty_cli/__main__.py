"""``python -m spec_kitty_cli``: the same as the ``spec-kitty`` console script."""

from spec_kitty_cli._entry import main

if __name__ == "__main__":
    main()
