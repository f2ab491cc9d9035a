"""`python -m itg` is the same as the `itg` command."""

from itg.cli import main

if __name__ == "__main__":
    main()
