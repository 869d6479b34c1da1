"""The packaged client's entry point (PyInstaller's script): the ``examhall-client`` CLI."""

from examhall_client.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
